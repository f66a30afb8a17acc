// cluster_bench: end-to-end figures of a local cluster (a real jobctld and 2
// real jobagents on loopback), printed as Markdown for docs/benchmarks.md.
//
//   cluster_bench [--jobs-latency N] [--jobs-throughput N] [--log-lines N] [--clients N]
//                 [--cpus-per-job CPUS]
//
// 1. submit -> trivial job (`command: "true"`) SUCCEEDED, one job at a time:
//    p50/p99 over N jobs.
// 2. throughput: N trivial jobs submitted by several clients at once, until
//    the last is SUCCEEDED; and the CPU time this took per job in the
//    controller, the agents (with the jobs' processes they reaped) and the
//    bench's own clients (from /proc, so other work on the machine does not
//    count).
// 3. log path: one rank writes 100-byte lines as fast as it can; lines/s
//    through `jobctl logs -f` into a file, every line checked.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "common/protocol/messages.h"
#include "common/protocol/stats_messages.h"
#include "common/transport/rpc_client.h"
#include "tests/e2e/local_cluster.h"

namespace jobctl::bench {
namespace {

using Clock = std::chrono::steady_clock;
using testing::LocalCluster;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// CPUs a trivial job asks for (`resources.cpus_per_node`, --cpus-per-job);
// 0 leaves it unset: one CPU per rank, so 2 agents of 2 CPUs run 4 at once.
double g_cpus_per_job = 0;

protocol::SubmitJobRequest TrivialJob() {
  protocol::SubmitJobRequest req;
  req.spec.name = "trivial";
  req.spec.command = "true";
  req.spec.resources.cpus_per_node = g_cpus_per_job;
  return req;
}

bool WaitTerminal(RpcClient& client, const std::string& id, std::string* state) {
  protocol::GetJobRequest get;
  get.job_id = id;
  auto deadline = Clock::now() + std::chrono::seconds(60);
  while (Clock::now() < deadline) {
    auto r = client.Call<protocol::GetJobReply>(get, std::chrono::seconds(5));
    if (r.ok()) {
      *state = r->job.summary.state;
      if (*state == "SUCCEEDED" || *state == "FAILED" || *state == "CANCELLED" ||
          *state == "TIMED_OUT") {
        return true;
      }
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return false;
}

void Latency(LocalCluster& cluster, int jobs) {
  zmq::context_t ctx;
  RpcClient client(ctx, cluster.endpoint(), cluster.admin_credentials());
  std::vector<double> ms;
  for (int i = 0; i < jobs; ++i) {
    auto t0 = Clock::now();
    auto r = client.Call<protocol::SubmitJobReply>(TrivialJob(), std::chrono::seconds(5));
    if (!r.ok()) {
      std::fprintf(stderr, "submit failed: %s\n", r.status().ToString().c_str());
      return;
    }
    std::string state;
    if (!WaitTerminal(client, r->job_id, &state) || state != "SUCCEEDED") {
      std::fprintf(stderr, "job %s ended %s\n", r->job_id.c_str(), state.c_str());
      return;
    }
    ms.push_back(Ms(Clock::now() - t0));
  }
  std::sort(ms.begin(), ms.end());
  std::printf(
      "| submit -> trivial job SUCCEEDED, one at a time (%d jobs) | p50 %.2f ms, p99 %.2f ms |\n",
      jobs, ms[ms.size() / 2], ms[ms.size() * 99 / 100]);
}

// CPU time of a process so far, in ms: its own (user + system) and that of
// the children it has reaped.
double ProcessCpuMs(pid_t pid) {
  std::ifstream in(pid == 0 ? std::string("/proc/self/stat")
                            : "/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t paren = text.rfind(')');
  if (paren == std::string::npos) return 0;
  // Fields after the command: state (3) ... utime (14) stime cutime cstime (17).
  std::vector<std::string> fields;
  size_t pos = paren + 2;
  while (pos < text.size() && fields.size() < 15) {
    size_t end = text.find(' ', pos);
    if (end == std::string::npos) end = text.size();
    fields.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  if (fields.size() < 15) return 0;
  double ticks = 0;
  for (int i = 11; i <= 14; ++i) ticks += std::stod(fields[static_cast<size_t>(i)]);
  return ticks * 1000.0 / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

struct CpuMs {
  double controller = 0, agents = 0, bench = 0;
};

CpuMs SampleCpu(const LocalCluster& cluster) {
  CpuMs c;
  c.controller = ProcessCpuMs(cluster.ControllerPid());
  for (const char* node : {"local-1", "local-2"}) c.agents += ProcessCpuMs(cluster.AgentPid(node));
  c.bench = ProcessCpuMs(0);
  return c;
}

// Frames the controller has read so far (every request of every peer).
uint64_t FramesReceived(RpcClient& client) {
  auto r = client.Call<protocol::ServerStatsReply>(protocol::ServerStatsRequest{},
                                                   std::chrono::seconds(10));
  return r.ok() ? r->frames_received : 0;
}

size_t CountSucceeded(RpcClient& client) {
  protocol::ListJobsRequest list;
  list.state = "SUCCEEDED";
  auto r = client.Call<protocol::ListJobsReply>(list, std::chrono::seconds(10));
  return r.ok() ? r->jobs.size() : 0;
}

void Throughput(LocalCluster& cluster, int jobs, int clients) {
  size_t before = 0;
  uint64_t frames_before = 0;
  {
    zmq::context_t ctx;
    RpcClient client(ctx, cluster.endpoint(), cluster.admin_credentials());
    before = CountSucceeded(client);
    frames_before = FramesReceived(client);
  }
  std::vector<std::vector<std::string>> ids(clients);
  CpuMs cpu0 = SampleCpu(cluster);
  auto t0 = Clock::now();
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      zmq::context_t ctx;
      RpcClient client(ctx, cluster.endpoint(), cluster.admin_credentials());
      for (int i = c; i < jobs; i += clients) {
        auto r = client.Call<protocol::SubmitJobReply>(TrivialJob(), std::chrono::seconds(10));
        if (r.ok()) {
          ids[c].push_back(r->job_id);
        } else {
          ++failures;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  auto submitted = Clock::now();
  zmq::context_t ctx;
  RpcClient client(ctx, cluster.endpoint(), cluster.admin_credentials());
  size_t done = 0;
  auto deadline = Clock::now() + std::chrono::seconds(300);
  // Listing every job is itself load on the controller (O(jobs) per call):
  // wait on the newest job first (the queue is FIFO, so it is among the
  // last to end), then count.
  std::string newest;
  for (const auto& v : ids) {
    for (const auto& id : v) {
      if (newest.empty() || std::stoull(id) > std::stoull(newest)) newest = id;
    }
  }
  protocol::GetJobRequest get;
  get.job_id = newest;
  while (!newest.empty() && Clock::now() < deadline) {
    auto r = client.Call<protocol::GetJobReply>(get, std::chrono::seconds(5));
    if (r.ok() && r->job.summary.state != "QUEUED" && r->job.summary.state != "PREPARING" &&
        r->job.summary.state != "RUNNING") {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  while (Clock::now() < deadline) {
    done = CountSucceeded(client) - before;
    if (done >= static_cast<size_t>(jobs)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  double total_s = Ms(Clock::now() - t0) / 1000;
  CpuMs cpu1 = SampleCpu(cluster);
  uint64_t frames = FramesReceived(client) - frames_before;
  std::printf(
      "| %d trivial jobs, %d concurrent clients: submitted | %.0f submits/s (%d failed) |\n", jobs,
      clients, jobs / (Ms(submitted - t0) / 1000), failures.load());
  std::printf(
      "| %d trivial jobs: submit of the first -> the last SUCCEEDED | %.0f jobs/s (%zu done) |\n",
      jobs, done / total_s, done);
  double n = static_cast<double>(std::max<size_t>(done, 1));
  double controller = (cpu1.controller - cpu0.controller) / n;
  double agents = (cpu1.agents - cpu0.agents) / n;
  double bench = (cpu1.bench - cpu0.bench) / n;
  std::printf(
      "| %d trivial jobs: CPU per job | %.3f ms: controller %.3f, 2 agents with the jobs' "
      "processes %.3f, bench clients %.3f |\n",
      jobs, controller + agents + bench, controller, agents, bench);
  // Every frame: submits, the agents' reports and heartbeats, and this
  // bench's polling (a few per 20 ms).
  std::printf("| %d trivial jobs: frames the controller read per job | %.2f |\n", jobs,
              static_cast<double>(frames) / n);
}

void LogPath(LocalCluster& cluster, long lines) {
  // 99 characters + newline = 100 bytes per line, numbered so loss is visible.
  std::string spec =
      "name: log-flood\ncommand: awk 'BEGIN { for (i = 1; i <= " + std::to_string(lines) +
      "; i++) printf \"%09d%090d\\n\", i, 0 }'\n";
  auto t0 = Clock::now();
  std::string id = cluster.Submit(spec);
  std::string out = cluster.dir() + "/flood.out";
  auto r = testing::RunCommand(
      {"/bin/sh", "-c",
       "JOBCTL_TOKEN_FILE=" + cluster.admin_token_file() + " " + std::string(JOBCTL_PATH) +
           " --controller " + cluster.endpoint() + " logs -f --no-prefix " + id + " > " + out},
      std::chrono::seconds(300));
  double s = Ms(Clock::now() - t0) / 1000;
  std::ifstream in(out);
  std::string line;
  long n = 0;
  bool ordered = true;
  while (std::getline(in, line)) {
    ++n;
    if (line.size() != 99 || std::stol(line.substr(0, 9)) != n) ordered = false;
  }
  std::printf(
      "| log path: 1 rank, %ld lines of 100 bytes -> `jobctl logs -f` file (exit %d) | %.0f "
      "lines/s, %s |\n",
      lines, r.exit_code, n / s,
      (n == lines && ordered) ? "all lines, in order" : "LINES LOST OR OUT OF ORDER");
}

}  // namespace
}  // namespace jobctl::bench

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  int latency_jobs = 1000, throughput_jobs = 10000, clients = 8;
  long log_lines = 2'000'000;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--jobs-latency")
      latency_jobs = std::atoi(argv[i + 1]);
    else if (flag == "--jobs-throughput")
      throughput_jobs = std::atoi(argv[i + 1]);
    else if (flag == "--clients")
      clients = std::atoi(argv[i + 1]);
    else if (flag == "--log-lines")
      log_lines = std::atol(argv[i + 1]);
    else if (flag == "--cpus-per-job")
      jobctl::bench::g_cpus_per_job = std::atof(argv[i + 1]);
    else {
      std::fprintf(stderr, "cluster_bench: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  jobctl::testing::LocalCluster cluster(
      jobctl::testing::ClusterOptions{.heartbeat_timeout_ms = 10000, .agent_heartbeat_ms = 1000});
  cluster.StartController();
  cluster.StartAgent("local-1");
  cluster.StartAgent("local-2");
  std::printf("| what | figure |\n|---|---|\n");
  if (latency_jobs > 0) jobctl::bench::Latency(cluster, latency_jobs);
  if (throughput_jobs > 0) jobctl::bench::Throughput(cluster, throughput_jobs, clients);
  if (log_lines > 0) jobctl::bench::LogPath(cluster, log_lines);
  return 0;
}
