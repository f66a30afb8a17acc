#include "trainer/tensor/thread_pool.h"

#include <cblas.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <memory>

namespace jobctl::trainer {
namespace {

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// How long a thread spins before it sleeps: longer than the gaps between
// the jobs of a training step and than one job's part (a few hundred
// microseconds), far shorter than a scheduler tick. Waking a sleeping
// thread costs a system call and, on a loaded machine, a wait for a core.
constexpr auto kSpinTime = std::chrono::milliseconds(2);

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

// Futex wait and wake on a 32-bit atomic. Not std::atomic::wait: libstdc++'s
// spins with sched_yield() first, which on a machine shared with other
// processes hands the core away for a whole time slice.
template <typename T>
void FutexWait(std::atomic<T>* word, T expected) {
  static_assert(sizeof(std::atomic<T>) == 4);
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT_PRIVATE,
          static_cast<uint32_t>(expected), nullptr, nullptr, 0);
}

template <typename T>
void FutexWakeAll(std::atomic<T>* word) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE_PRIVATE, INT32_MAX, nullptr,
          nullptr, 0);
}

// The CPUs this process may run on, in increasing order.
std::vector<int> AllowedCpus() {
  std::vector<int> cpus;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
  }
  return cpus;
}

void PinThread(pthread_t thread, int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(thread, sizeof(set), &set);  // best effort: unpinned still works
}

thread_local bool in_pool_job = false;

std::unique_ptr<ThreadPool>& PoolSlot() {
  static std::unique_ptr<ThreadPool> pool = std::make_unique<ThreadPool>(1);
  return pool;
}

}  // namespace

ThreadPool::ThreadPool(int threads, bool pin_to_cpus) {
  std::vector<int> cpus;
  if (pin_to_cpus) cpus = AllowedCpus();
  const bool pin = pin_to_cpus && static_cast<int>(cpus.size()) >= threads;
  for (int i = 1; i < threads; ++i) {
    workers_.emplace_back([this] { WorkerLoop(); });
    if (pin) PinThread(workers_.back().native_handle(), cpus[static_cast<size_t>(i)]);
  }
  if (pin && threads > 1) PinThread(pthread_self(), cpus[0]);
}

ThreadPool::~ThreadPool() {
  stop_.store(true);
  wake_.fetch_add(1);
  FutexWakeAll(&wake_);
  for (auto& worker : workers_) worker.join();
}

void ThreadPool::RunIndices(uint32_t generation, const std::function<void(int, int)>* job) {
  uint64_t state = state_.load(std::memory_order_acquire);
  for (;;) {
    if (static_cast<uint32_t>(state >> 32) != generation) return;
    // The count travels in the same word as the generation, so it is always
    // that of the job being claimed.
    const auto count = static_cast<uint32_t>((state >> 16) & 0xFFFF);
    const auto index = static_cast<uint32_t>(state & 0xFFFF);
    if (index >= count) return;
    if (!state_.compare_exchange_weak(state, state + 1, std::memory_order_acq_rel)) continue;
    (*job)(static_cast<int>(index), static_cast<int>(count));
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) FutexWakeAll(&pending_);
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
      FutexWait(&wake_, seen);
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

void ThreadPool::Run(const std::function<void(int, int)>& job) { Run(job, size()); }

void ThreadPool::Run(const std::function<void(int, int)>& job, int count) {
  count = std::clamp(count, 1, kMaxIndices);
  std::unique_lock<std::mutex> lock(run_mutex_, std::defer_lock);
  if (size() == 1 || count == 1 || in_pool_job || !lock.try_lock()) {
    for (int i = 0; i < count; ++i) job(i, count);
    return;
  }
  const auto generation = static_cast<uint32_t>(state_.load(std::memory_order_relaxed) >> 32) + 1;
  job_.store(&job, std::memory_order_release);
  pending_.store(count, std::memory_order_release);
  state_.store(static_cast<uint64_t>(generation) << 32 | static_cast<uint64_t>(count) << 16,
               std::memory_order_release);
  wake_.fetch_add(1, std::memory_order_release);
  FutexWakeAll(&wake_);
  in_pool_job = true;
  RunIndices(generation, &job);
  in_pool_job = false;
  int32_t left = 0;
  SpinUntil([&] { return (left = pending_.load(std::memory_order_acquire)) == 0; });
  while (left != 0) {
    FutexWait(&pending_, left);
    left = pending_.load(std::memory_order_acquire);
  }
}

ThreadPool& ComputePool() { return *PoolSlot(); }

void SetComputeThreads(int threads) {
  threads = std::max(threads, 1);
  openblas_set_num_threads(1);
  // Owning exactly as many CPUs as threads (a container's cpuset, or the
  // whole of a small machine): one thread per CPU, so the scheduler never
  // stacks two spinning threads on one CPU while the other runs something
  // else. Otherwise leave placement to the scheduler.
  const bool pin = threads > 1 && static_cast<int>(AllowedCpus().size()) == threads;
  if (ComputePool().size() != threads || pin) {
    PoolSlot().reset();
    PoolSlot() = std::make_unique<ThreadPool>(threads, pin);
  }
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

void ParallelInvoke(const std::function<void()>& first, const std::function<void()>& second) {
  if (ComputePool().size() < 2) {
    first();
    second();
    return;
  }
  ComputePool().Run([&](int index, int /*count*/) {
    if (index == 0) first();
    if (index == 1) second();
  });
}

void ParallelForDynamic(int64_t total, int64_t align, int64_t min_per_part, int max_parts,
                        const std::function<void(int64_t, int64_t)>& fn) {
  if (total <= 0) return;
  const int64_t threads = ComputePool().size();
  align = std::max<int64_t>(align, 1);
  const int64_t units = (total + align - 1) / align;
  const int64_t parts = std::min<int64_t>(
      {static_cast<int64_t>(max_parts), units, total / std::max<int64_t>(min_per_part, 1)});
  if (threads <= 1 || parts <= 1) {
    fn(0, total);
    return;
  }
  ComputePool().Run(
      [&](int index, int /*count*/) {
        const int64_t begin = std::min(total, units * index / parts * align);
        const int64_t end = std::min(total, units * (index + 1) / parts * align);
        if (begin < end) fn(begin, end);
      },
      static_cast<int>(parts));
}

}  // namespace jobctl::trainer
