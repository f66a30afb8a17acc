// Scheduler throughput: 1,000 simulated nodes, 10,000 queued jobs (1-, 2- and
// 8-node gangs, a quarter asking for GPUs). Reports placements per second.
#include <benchmark/benchmark.h>

#include "controller/scheduler.h"

namespace jobctl::controller {
namespace {

void BM_Schedule(benchmark::State& state) {
  std::vector<NodeCapacity> nodes;
  for (int i = 0; i < 1000; ++i) {
    NodeCapacity n;
    n.id = "node-" + std::to_string(i);
    n.address = n.id;
    n.pool = i % 2 ? "gpu" : "cpu";
    if (i % 2) n.free_gpus = {0, 1, 2, 3, 4, 5, 6, 7};
    n.free_cpus = 64;
    n.free_memory_bytes = int64_t{256} << 30;
    nodes.push_back(n);
  }
  std::vector<JobRequest> queue;
  const int kGangs[] = {1, 1, 2, 8};
  for (int j = 0; j < 10000; ++j) {
    JobRequest r;
    r.job_id = std::to_string(j + 1);
    r.order = static_cast<uint64_t>(j);
    r.priority = j % 3;
    r.nodes = kGangs[j % 4];
    r.processes_per_node = 2;
    r.cpus_per_node = 4;
    r.memory_per_node_bytes = int64_t{8} << 30;
    if (j % 4 == 1) {
      r.pool = "gpu";
      r.gpus_per_node = 2;
    }
    queue.push_back(r);
  }
  Scheduler scheduler({29500, 29999});
  int64_t placements = 0;
  for (auto _ : state) {
    ScheduleResult result = scheduler.Schedule(queue, nodes);
    placements += static_cast<int64_t>(result.placements.size());
    benchmark::DoNotOptimize(result);
  }
  state.counters["placements_per_s"] =
      benchmark::Counter(static_cast<double>(placements), benchmark::Counter::kIsRate);
  state.counters["placements_per_pass"] =
      static_cast<double>(placements) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_Schedule)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace jobctl::controller

BENCHMARK_MAIN();
