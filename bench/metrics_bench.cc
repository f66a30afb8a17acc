// metrics_bench: metric points per second into a real jobctld (SQLite
// metric store, group commit) from R ranks at once, over the wire protocol
// the agents use (metric_batch, B points per request, one request in flight
// per rank, as the agent's shipper sends them when it is behind). Every
// point is read back and counted at the end. Prints Markdown.
//
//   metrics_bench [--ranks 8] [--points 100000] [--batch 1000]
//
// --points is per rank.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "common/protocol/log_records.h"
#include "common/protocol/metric_messages.h"
#include "common/protocol/metric_records.h"
#include "common/transport/rpc_client.h"
#include "tests/e2e/local_cluster.h"

namespace jobctl::bench {
namespace {

using Clock = std::chrono::steady_clock;

int Arg(int argc, char** argv, const char* name, int fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return std::atoi(argv[i + 1]);
  }
  return fallback;
}

int Main(int argc, char** argv) {
  int ranks = Arg(argc, argv, "--ranks", 8);
  int points = Arg(argc, argv, "--points", 100000);
  int batch = Arg(argc, argv, "--batch", 1000);
  testing::LocalCluster cluster;
  cluster.StartController();
  // A job that stays QUEUED (no agent): metric batches only need it to exist.
  std::string id = cluster.Submit("name: metrics-bench\ncommand: 'true'\n");

  // Points packed up front; the clock covers encoding, sending, storing and
  // committing.
  std::vector<std::vector<protocol::MetricBatchRequest>> requests(static_cast<size_t>(ranks));
  for (int r = 0; r < ranks; ++r) {
    for (int first = 0; first < points; first += batch) {
      protocol::MetricBatchRequest req;
      req.node_id = "bench";
      req.job_id = id;
      req.attempt = 1;
      req.rank = r;
      req.first_seq = static_cast<uint64_t>(first);
      for (int s = first; s < std::min(points, first + batch); ++s) {
        const char* names[] = {"loss", "accuracy", "lr"};
        protocol::MetricPoint p{names[s % 3], s / 3, 1.0 / (1 + s), 1700000000000 + s};
        protocol::AppendLine(req.points.data, protocol::EncodeMetricPoint(p));
      }
      requests[static_cast<size_t>(r)].push_back(std::move(req));
    }
  }

  zmq::context_t context(1);
  auto agent = cluster.agent_credentials();
  std::atomic<int> failures{0};
  auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int r = 0; r < ranks; ++r) {
    threads.emplace_back([&, r] {
      RpcClient client(context, cluster.endpoint(), agent);  // metric batches are agent messages
      for (const auto& req : requests[static_cast<size_t>(r)]) {
        auto reply = client.Call<protocol::MetricBatchReply>(req, std::chrono::seconds(30));
        if (!reply.ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();

  RpcClient reader(context, cluster.endpoint(), cluster.admin_credentials());
  auto read = reader.Call<protocol::ReadMetricsReply>(protocol::ReadMetricsRequest{id, ""},
                                                      std::chrono::seconds(60));
  size_t stored = read.ok() ? read->points.size() : 0;
  size_t total = static_cast<size_t>(ranks) * static_cast<size_t>(points);
  std::printf("| ranks | points per rank | points per request | seconds | points/s | stored |\n");
  std::printf("|---|---|---|---|---|---|\n");
  std::printf("| %d | %d | %d | %.2f | %.0f | %zu/%zu |\n", ranks, points, batch, seconds,
              static_cast<double>(total) / seconds, stored, total);
  if (failures.load() > 0 || stored != total) {
    std::fprintf(stderr, "metrics_bench: %d failed requests, %zu of %zu points stored\n",
                 failures.load(), stored, total);
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace jobctl::bench

int main(int argc, char** argv) { return jobctl::bench::Main(argc, argv); }
