#include "trainer/tensor/thread_pool.h"

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <memory>

namespace jobctl::trainer {
namespace {

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// How long a thread spins before it sleeps: longer than the gaps between
// the jobs of a training step (tens to hundreds of microseconds of serial
// work), far shorter than a scheduler tick. Waking a sleeping thread costs
// a system call and, on a loaded machine, a wait for a free core.
constexpr auto kSpinTime = std::chrono::microseconds(300);

// Spins (with PAUSE) while `done()` is false, for at most kSpinTime.
template <typename Done>
bool SpinUntil(Done done) {
  const auto deadline = std::chrono::steady_clock::now() + kSpinTime;
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (done()) return true;
      CpuRelax();
    }
    if (std::chrono::steady_clock::now() >= deadline) return done();
  }
}

thread_local bool in_pool_job = false;

std::unique_ptr<ThreadPool>& PoolSlot() {
  static std::unique_ptr<ThreadPool> pool = std::make_unique<ThreadPool>(1);
  return pool;
}

}  // namespace

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true);
  wake_.fetch_add(1);
  wake_.notify_all();
  for (auto& worker : workers_) worker.join();
}

void ThreadPool::RunIndices(uint32_t generation, const std::function<void(int, int)>* job) {
  const int count = size();
  uint64_t state = state_.load(std::memory_order_acquire);
  for (;;) {
    if (static_cast<uint32_t>(state >> 32) != generation) return;
    const auto index = static_cast<uint32_t>(state);
    if (index >= static_cast<uint32_t>(count)) return;
    if (!state_.compare_exchange_weak(state, state + 1, std::memory_order_acq_rel)) continue;
    (*job)(static_cast<int>(index), count);
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) pending_.notify_all();
    state = state_.load(std::memory_order_acquire);
  }
}

void ThreadPool::WorkerLoop() {
  in_pool_job = true;  // a Run from inside a job runs inline
  uint32_t seen = 0;
  for (;;) {
    uint32_t now = seen;
    SpinUntil([&] { return (now = wake_.load(std::memory_order_acquire)) != seen; });
    if (now == seen) {
      wake_.wait(seen, std::memory_order_acquire);
      continue;
    }
    seen = now;
    if (stop_.load()) return;
    // The job pointer is published before the generation; a claim succeeds
    // only while the generation read here is still current, so `job` is the
    // job of that generation whenever it runs.
    const uint64_t state = state_.load(std::memory_order_acquire);
    const std::function<void(int, int)>* job = job_.load(std::memory_order_acquire);
    if (job != nullptr) RunIndices(static_cast<uint32_t>(state >> 32), job);
  }
}

void ThreadPool::Run(const std::function<void(int, int)>& job) {
  const int count = size();
  std::unique_lock<std::mutex> lock(run_mutex_, std::defer_lock);
  if (count == 1 || in_pool_job || !lock.try_lock()) {
    for (int i = 0; i < count; ++i) job(i, count);
    return;
  }
  const auto generation = static_cast<uint32_t>(state_.load(std::memory_order_relaxed) >> 32) + 1;
  job_.store(&job, std::memory_order_release);
  pending_.store(count, std::memory_order_release);
  state_.store(static_cast<uint64_t>(generation) << 32, std::memory_order_release);
  wake_.fetch_add(1, std::memory_order_release);
  wake_.notify_all();
  in_pool_job = true;
  RunIndices(generation, &job);
  in_pool_job = false;
  int32_t left = 0;
  SpinUntil([&] { return (left = pending_.load(std::memory_order_acquire)) == 0; });
  while (left != 0) {
    pending_.wait(left, std::memory_order_acquire);
    left = pending_.load(std::memory_order_acquire);
  }
}

ThreadPool& ComputePool() { return *PoolSlot(); }

void SetComputeThreads(int threads) {
  threads = std::max(threads, 1);
  openblas_set_num_threads(1);
  if (ComputePool().size() != threads) PoolSlot() = std::make_unique<ThreadPool>(threads);
}

void ParallelFor(int64_t total, int64_t align, int64_t min_per_thread,
                 const std::function<void(int64_t, int64_t)>& fn) {
  if (total <= 0) return;
  const int64_t threads = ComputePool().size();
  const int64_t wanted = std::min<int64_t>(threads, total / std::max<int64_t>(min_per_thread, 1));
  if (wanted <= 1) {
    fn(0, total);
    return;
  }
  align = std::max<int64_t>(align, 1);
  const int64_t units = (total + align - 1) / align;
  const int64_t parts = std::min(wanted, units);
  ComputePool().Run([&](int index, int /*count*/) {
    if (index >= parts) return;
    const int64_t begin = std::min(total, units * index / parts * align);
    const int64_t end = std::min(total, units * (index + 1) / parts * align);
    if (begin < end) fn(begin, end);
  });
}

}  // namespace jobctl::trainer
