// Durable submits per second into the SQLite store: group commit (one
// transaction per batch of N submits, as the server does per poll iteration)
// against one transaction per submit (N = 1).
#include <unistd.h>

#include <filesystem>

#include <benchmark/benchmark.h>

#include "controller/sqlite_state_store.h"

namespace jobctl::controller {
namespace {

void BM_Submits(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0));
  auto dir = std::filesystem::temp_directory_path() /
             ("bench_store_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto store = SqliteStateStore::Open((dir / "state.db").string());
  if (!store.ok()) {
    state.SkipWithError(store.status().ToString().c_str());
    return;
  }
  JobRecord job;
  job.spec.name = "bench";
  job.spec.command = "python train.py --epochs 10";
  job.spec.resources.instance_count = 2;
  uint64_t next_id = 1;
  int64_t submits = 0;
  for (auto _ : state) {
    for (int i = 0; i < batch; ++i) {
      job.id = std::to_string(next_id++);
      if (!(*store)->InsertJob(job, {"", "QUEUED", 0, 1, "submitted"}).ok()) {
        state.SkipWithError("insert failed");
      }
    }
    if (!(*store)->Commit().ok()) state.SkipWithError("commit failed");
    submits += batch;
  }
  state.counters["submits_per_s"] =
      benchmark::Counter(static_cast<double>(submits), benchmark::Counter::kIsRate);
  store->reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_Submits)->Arg(1)->Arg(16)->Arg(256)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
}  // namespace jobctl::controller

BENCHMARK_MAIN();
