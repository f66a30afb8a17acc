// ThreadPool: a fixed set of persistent worker threads that run one job at a
// time, split by index, so the CPU kernels of a training step can use every
// core without spawning threads (or letting OpenBLAS's own threads spin).
//
// Run(job) calls job(index, count) once for every index in [0, count) where
// count is size(), and returns when all have finished. Indices are claimed
// one at a time by the caller and by whichever workers are awake, so a
// worker the OS has descheduled (a shared, loaded machine) delays nothing:
// the caller runs its index too. Workers spin briefly between jobs (a step
// issues jobs microseconds apart) and then sleep on a futex, so an idle
// trainer uses no CPU.
//
// Jobs must split their work by (index, count) alone, so results never
// depend on which thread ran which part. A Run issued while another is in
// progress (from a job, or from a second thread) runs every index on its
// caller, in order: correct, just not parallel.
//
// Thread-safety: Run may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace jobctl::trainer {

class ThreadPool {
 public:
  // threads >= 1 (values below are taken as 1); starts threads - 1 workers.
  // pin_to_cpus: when the process may run on at least `threads` CPUs, thread
  // i (the constructing thread is 0, and should be the one calling Run) is
  // bound to the i-th of them.
  explicit ThreadPool(int threads, bool pin_to_cpus = false);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }
  void Run(const std::function<void(int index, int count)>& job);
  // The same with `count` indices (1 to kMaxIndices) instead of size():
  // with more indices than threads, a thread that finishes early claims the
  // next, which balances parts of unequal cost or cores of unequal speed.
  void Run(const std::function<void(int index, int count)>& job, int count);
  static constexpr int kMaxIndices = 0xFFFF;

 private:
  void WorkerLoop();
  // Claims and runs indices of job `generation` until none is left.
  void RunIndices(uint32_t generation, const std::function<void(int, int)>* job);

  std::vector<std::thread> workers_;
  std::mutex run_mutex_;  // held for the duration of a parallel Run
  // Generation of the current job (high 32 bits), its index count (16
  // bits) and its next unclaimed index (low 16 bits), updated together so a
  // late worker can never claim an index of a job other than the one it read.
  std::atomic<uint64_t> state_{0};
  std::atomic<const std::function<void(int, int)>*> job_{nullptr};
  std::atomic<uint32_t> wake_{0};    // futex word: bumped for every job and at shutdown
  std::atomic<int32_t> pending_{0};  // indices of the current job not finished yet
  std::atomic<bool> stop_{false};
};

// The process-wide pool the CPU kernels use; 1 thread until SetComputeThreads.
ThreadPool& ComputePool();
// Replaces the process-wide pool with one of `threads` threads and keeps
// OpenBLAS single-threaded (the kernels split work across the pool instead).
// When the process may run on exactly `threads` CPUs, each thread (the
// calling one included) is bound to one of them. Call it from the thread
// that will drive training. Precondition: no Run in progress.
void SetComputeThreads(int threads);

// Runs fn(begin, end) over [0, total) cut into at most ComputePool().size()
// contiguous ranges whose bounds are multiples of `align` (except the end).
// Work below `min_per_thread` items per range runs on the caller alone.
void ParallelFor(int64_t total, int64_t align, int64_t min_per_thread,
                 const std::function<void(int64_t begin, int64_t end)>& fn);

// Like ParallelFor, but cut into at most max_parts ranges of at least
// min_per_part items (bounds multiples of `align`), claimed by whichever
// pool thread is free: for work whose result per item does not depend on
// the cut, on a machine where one core may be slower or taken away.
void ParallelForDynamic(int64_t total, int64_t align, int64_t min_per_part, int max_parts,
                        const std::function<void(int64_t begin, int64_t end)>& fn);

// Runs first() and second() at the same time on two pool threads (on the
// caller, one after the other, when the pool has one thread or is busy), for
// two independent pieces of work that each run best on one thread.
void ParallelInvoke(const std::function<void()>& first, const std::function<void()>& second);

}  // namespace jobctl::trainer
