// bench_allreduce: time per GlooCommunicator::AllReduceAverage call.
//
//   bench_allreduce [--count N] [--iters N] [--warmup N]
//
// Without RANK/WORLD_SIZE in the environment it forks 2 ranks on loopback;
// with them (as jobctl or torchrun set them) it runs one rank of that job.
// Rank 0 prints the median, 10th and 90th percentile time per call and the
// algorithm bandwidth (bytes / median time). Exit status is non-zero when a
// collective fails or a flag is malformed.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "trainer/comm/gloo_communicator.h"
#include "trainer/comm/rendezvous_store_server.h"

namespace jobctl::trainer {
namespace {

struct Options {
  size_t count = 670'000;  // 2.68 MB of floats
  int iters = 200;
  int warmup = 20;
};

bool ParseFlags(int argc, char** argv, Options& options) {
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "bench_allreduce: flag %s needs a value\n", flag.c_str());
      return false;
    }
    char* end = nullptr;
    long long value = std::strtoll(argv[i + 1], &end, 10);
    if (*end != '\0' || value < 1) {
      std::fprintf(stderr, "bench_allreduce: %s '%s' is not a positive integer\n", flag.c_str(),
                   argv[i + 1]);
      return false;
    }
    if (flag == "--count") {
      options.count = static_cast<size_t>(value);
    } else if (flag == "--iters") {
      options.iters = static_cast<int>(value);
    } else if (flag == "--warmup") {
      options.warmup = static_cast<int>(value);
    } else {
      std::fprintf(stderr, "bench_allreduce: unknown flag %s (--count, --iters, --warmup)\n",
                   flag.c_str());
      return false;
    }
    ++i;
  }
  return true;
}

int RunRank(const RendezvousConfig& config, const Options& options) {
  auto communicator = CreateGlooCommunicator(config);
  if (!communicator.ok()) {
    std::fprintf(stderr, "rank %d: %s\n", config.rank, communicator.status().ToString().c_str());
    return 1;
  }
  std::vector<float> data(options.count, 1.0f);
  std::vector<double> ms;
  ms.reserve(options.iters);
  for (int i = 0; i < options.warmup + options.iters; ++i) {
    auto start = std::chrono::steady_clock::now();
    Status status = (*communicator)->AllReduceAverage(data.data(), data.size());
    auto stop = std::chrono::steady_clock::now();
    if (!status.ok()) {
      std::fprintf(stderr, "rank %d: %s\n", config.rank, status.ToString().c_str());
      return 1;
    }
    if (i >= options.warmup) {
      ms.push_back(std::chrono::duration<double, std::milli>(stop - start).count());
    }
  }
  if (data[0] != 1.0f) {
    std::fprintf(stderr, "rank %d: wrong result %f\n", config.rank, data[0]);
    return 1;
  }
  if (!(*communicator)->Barrier().ok()) return 1;
  std::sort(ms.begin(), ms.end());
  if (config.rank == 0) {
    const double median = ms[ms.size() / 2];
    const double bytes = static_cast<double>(options.count * sizeof(float));
    std::printf(
        "gloo_allreduce_average world_size=%d bytes=%.0f iters=%d median_ms=%.3f p10_ms=%.3f "
        "p90_ms=%.3f algbw_GBps=%.2f\n",
        config.world_size, bytes, options.iters, median, ms[ms.size() / 10],
        ms[ms.size() * 9 / 10], bytes / (median * 1e-3) / 1e9);
    std::fflush(stdout);  // forked ranks leave through _exit, which does not flush
  }
  return 0;
}

int Main(int argc, char** argv) {
  Options options;
  if (!ParseFlags(argc, argv, options)) return 2;
  if (std::getenv("RANK") != nullptr || std::getenv("WORLD_SIZE") != nullptr) {
    auto config = RendezvousFromEnvironment();
    if (!config.ok()) {
      std::fprintf(stderr, "bench_allreduce: %s\n", config.status().ToString().c_str());
      return 2;
    }
    return RunRank(*config, options);
  }
  int port = 0;
  {
    auto probe = comm::RendezvousStoreServer::Start(0);  // find a free port
    if (!probe.ok()) return 1;
    port = (*probe)->port();
  }
  std::vector<pid_t> pids;
  for (int rank = 0; rank < 2; ++rank) {
    pid_t pid = ::fork();
    if (pid == 0) {
      RendezvousConfig config;
      config.rank = rank;
      config.world_size = 2;
      config.master_port = port;
      config.timeout = std::chrono::milliseconds(30'000);
      std::fflush(stdout);
      ::_exit(RunRank(config, options));
    }
    pids.push_back(pid);
  }
  int failures = 0;
  for (pid_t pid : pids) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failures;
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace jobctl::trainer

int main(int argc, char** argv) { return jobctl::trainer::Main(argc, argv); }
