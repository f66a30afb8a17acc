// container_bench: what running ranks in podman containers costs against
// host processes, end to end on a local cluster (a real jobctld and 2 real
// jobagents with `--runtime podman`, each with its own podman storage).
// Prints Markdown for docs/benchmarks.md.
//
//   container_bench [--jobs N]
//
// The same 2-node x 1-rank job (`command: "true"`) is submitted N times as
// host processes and N times with `environment.image` (a busybox image
// already in each node's storage, pull_policy never: no pull is timed),
// alternating; submit -> SUCCEEDED, median and p90 of each.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "common/protocol/messages.h"
#include "common/transport/rpc_client.h"
#include "tests/e2e/container_tools.h"
#include "tests/e2e/local_cluster.h"

namespace jobctl::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr char kImage[] = "localhost/jobctl-bench-tiny:1";

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

protocol::SubmitJobRequest Job(bool in_container) {
  protocol::SubmitJobRequest req;
  req.spec.name = in_container ? "in-container" : "host-process";
  req.spec.command = "true";
  req.spec.resources.instance_count = 2;
  req.spec.resources.cpus_per_node = 0;
  if (in_container) req.spec.environment = JobEnvironment{kImage, "never"};
  return req;
}

// submit -> terminal; returns milliseconds or -1.
double RunOne(RpcClient& client, bool in_container) {
  auto t0 = Clock::now();
  auto r = client.Call<protocol::SubmitJobReply>(Job(in_container), std::chrono::seconds(5));
  if (!r.ok()) {
    std::fprintf(stderr, "submit failed: %s\n", r.status().ToString().c_str());
    return -1;
  }
  protocol::GetJobRequest get;
  get.job_id = r->job_id;
  auto deadline = Clock::now() + std::chrono::seconds(120);
  while (Clock::now() < deadline) {
    auto g = client.Call<protocol::GetJobReply>(get, std::chrono::seconds(5));
    if (g.ok()) {
      const auto& state = g->job.summary.state;
      if (state == "SUCCEEDED") return Ms(Clock::now() - t0);
      if (state == "FAILED" || state == "CANCELLED" || state == "TIMED_OUT") {
        std::fprintf(stderr, "job %s ended %s: %s\n", r->job_id.c_str(), state.c_str(),
                     g->job.end_reason.c_str());
        return -1;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::fprintf(stderr, "job %s did not end in 120 s\n", r->job_id.c_str());
  return -1;
}

double Percentile(std::vector<double> v, int p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, v.size() * static_cast<size_t>(p) / 100)];
}

}  // namespace
}  // namespace jobctl::bench

int main(int argc, char** argv) {
  using namespace jobctl;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  int jobs = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--jobs")
      jobs = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "container_bench: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  if (jobs < 1) {
    std::fprintf(stderr, "container_bench: --jobs must be at least 1\n");
    return 2;
  }
  std::string missing = testing::ContainerToolsMissing(/*need_registry=*/false);
  if (!missing.empty()) {
    std::fprintf(stderr, "container_bench: %s\n", missing.c_str());
    return 2;
  }
  testing::LocalCluster cluster(
      testing::ClusterOptions{.heartbeat_timeout_ms = 10000, .agent_heartbeat_ms = 1000});
  std::vector<testing::PodmanStore> stores;
  for (const char* node : {"bench-1", "bench-2"}) {
    stores.emplace_back(cluster.dir() + "/podman-" + node);
    std::string err = stores.back().BuildTinyImage(bench::kImage, "bench");
    if (!err.empty()) {
      std::fprintf(stderr, "container_bench: %s\n", err.c_str());
      return 1;
    }
  }
  cluster.StartController();
  cluster.StartAgent("bench-1", stores[0].AgentFlags());
  cluster.StartAgent("bench-2", stores[1].AgentFlags());
  zmq::context_t ctx;
  RpcClient client(ctx, cluster.endpoint(), cluster.admin_credentials());
  // One warm-up job of each kind (first container start creates podman state).
  if (bench::RunOne(client, false) < 0 || bench::RunOne(client, true) < 0) return 1;
  std::vector<double> host, container;
  for (int i = 0; i < jobs; ++i) {
    double h = bench::RunOne(client, false);
    double c = bench::RunOne(client, true);
    if (h < 0 || c < 0) return 1;
    host.push_back(h);
    container.push_back(c);
  }
  double hp50 = bench::Percentile(host, 50), cp50 = bench::Percentile(container, 50);
  std::printf(
      "| 2 nodes x 1 rank, `command: \"true\"`, submit -> SUCCEEDED (%d jobs each) | "
      "median | p90 |\n|---|---|---|\n",
      jobs);
  std::printf("| host processes (`--runtime podman`, no image) | %.1f ms | %.1f ms |\n", hp50,
              bench::Percentile(host, 90));
  std::printf("| podman containers (image cached, pull_policy never) | %.1f ms | %.1f ms |\n", cp50,
              bench::Percentile(container, 90));
  std::printf("| ratio container / host (median) | %.2fx | |\n", cp50 / hp50);
  return 0;
}
