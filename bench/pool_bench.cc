// pool_bench: how long a job waits for an autoscaled pool. A real jobctld
// with a `local` pool (min 0, max 2, idle_timeout 0) on loopback; each run
// submits a 2-node job (`echo` on each rank) to the empty pool and measures
// submit -> first log line readable through read_logs, then waits until the
// pool is empty again. Baseline: the same job on 2 agents started before.
// Prints Markdown rows for docs/benchmarks.md.
//
//   pool_bench [--runs N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "common/protocol/messages.h"
#include "common/transport/rpc_client.h"
#include "tests/e2e/local_cluster.h"

namespace jobctl::bench {
namespace {

using Clock = std::chrono::steady_clock;
using testing::LocalCluster;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

protocol::SubmitJobRequest TwoNodeJob(const std::string& pool) {
  protocol::SubmitJobRequest req;
  req.spec.name = "pool-bench";
  req.spec.command = "echo first line from $RANK";
  req.spec.compute = pool;
  req.spec.resources.instance_count = 2;
  return req;
}

// Submit -> first log record, in ms; < 0 on failure.
double FirstLine(RpcClient& client, const std::string& pool) {
  auto t0 = Clock::now();
  auto r = client.Call<protocol::SubmitJobReply>(TwoNodeJob(pool), std::chrono::seconds(5));
  if (!r.ok()) {
    std::fprintf(stderr, "submit failed: %s\n", r.status().ToString().c_str());
    return -1;
  }
  protocol::ReadLogsRequest read;
  read.job_id = r->job_id;
  read.wait_ms = 1000;
  auto deadline = t0 + std::chrono::seconds(120);
  while (Clock::now() < deadline) {
    auto logs = client.Call<protocol::ReadLogsReply>(read, std::chrono::seconds(5));
    if (logs.ok() && !logs->records.data.empty()) return Ms(Clock::now() - t0);
    if (logs.ok() && logs->complete) break;
  }
  std::fprintf(stderr, "job %s printed nothing\n", r->job_id.c_str());
  return -1;
}

bool PoolEmpty(RpcClient& client) {
  auto r =
      client.Call<protocol::ListPoolsReply>(protocol::ListPoolsRequest{}, std::chrono::seconds(5));
  if (!r.ok()) return false;
  for (const auto& p : r->pools) {
    if (!p.nodes.empty() || p.provisioning != 0) return false;
  }
  return true;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace
}  // namespace jobctl::bench

int main(int argc, char** argv) {
  using namespace jobctl::bench;
  int runs = 10;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--runs") == 0) runs = std::atoi(argv[i + 1]);
  }
  std::vector<double> scaled;
  {
    char tmpl[] = "/tmp/jobctl-pool-bench-XXXXXX";
    if (!mkdtemp(tmpl)) return 1;
    std::string config = std::string(tmpl) + "/pools.yaml";
    std::ofstream(config) << "pools:\n  - name: cpu\n    min_nodes: 0\n    max_nodes: 2\n"
                             "    idle_timeout: 0\n    provider:\n      type: local\n"
                             "      agent_binary: " JOBAGENT_PATH
                             "\n"
                             "      agent_args: [\"--heartbeat-ms\", \"200\", \"--cpus\", \"2\"]\n"
                             "      stop_grace: 5\n";
    jobctl::testing::ClusterOptions options;
    options.controller_args = {"--config", config};
    LocalCluster cluster(options);
    cluster.StartController();
    zmq::context_t ctx;
    jobctl::RpcClient client(ctx, cluster.endpoint(), cluster.admin_credentials());
    for (int i = 0; i < runs; ++i) {
      auto deadline = Clock::now() + std::chrono::seconds(60);
      while (!PoolEmpty(client) && Clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      double ms = FirstLine(client, "cpu");
      if (ms < 0) return 1;
      scaled.push_back(ms);
    }
    std::filesystem::remove_all(tmpl);
  }
  std::vector<double> warm;
  {
    LocalCluster cluster;
    cluster.StartController();
    cluster.StartAgent("a", {"--pool", "warm", "--cpus", "2"});
    cluster.StartAgent("b", {"--pool", "warm", "--cpus", "2"});
    zmq::context_t ctx;
    jobctl::RpcClient client(ctx, cluster.endpoint(), cluster.admin_credentials());
    for (int i = 0; i < runs; ++i) {
      double ms = FirstLine(client, "warm");
      if (ms < 0) return 1;
      warm.push_back(ms);
    }
  }
  std::printf(
      "| submit of a 2-node job -> first log line, empty `local` pool (scales 0 -> 2), "
      "median of %d | %.0f ms |\n",
      runs, Median(scaled));
  std::printf("| same, 2 agents already registered (baseline), median of %d | %.0f ms |\n", runs,
              Median(warm));
  std::printf("| ratio empty pool / baseline | %.1fx |\n", Median(scaled) / Median(warm));
  return 0;
}
