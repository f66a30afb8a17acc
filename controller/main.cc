// jobctld: the controller daemon.
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <memory>
#include <thread>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <zmq.hpp>

#include "common/malloc_tuning.h"
#include "controller/config.h"
#include "controller/flags.h"
#include "controller/log_store.h"
#include "controller/memory_state_store.h"
#include "controller/paths.h"
#include "controller/server.h"
#include "controller/sqlite_state_store.h"
#include "controller/sqlite_metric_store.h"

#ifndef JOBCTL_VERSION
#define JOBCTL_VERSION "0.0.0"
#endif

namespace {

int Fail(const jobctl::Status& status) {
  std::fprintf(stderr, "jobctld: %s\n", status.message().c_str());
  return status.code() == jobctl::StatusCode::kInvalidArgument ? 2 : 1;
}

int RunController(const jobctl::controller::ControllerFlags& flags) {
  using namespace jobctl::controller;
  if (auto s = ValidateFlags(flags); !s.ok()) return Fail(s);
  auto ports = ParsePortRange(flags.rendezvous_ports);
  ControllerConfig config;
  if (!flags.config_file.empty()) {
    auto loaded = LoadConfigFile(flags.config_file);
    if (!loaded.ok()) return Fail(loaded.status());
    config = std::move(*loaded);
  }
  std::string data_dir = flags.data_dir.empty() ? paths::DefaultDataDir() : flags.data_dir;
  if (auto s = paths::CreateDataDirLayout(data_dir); !s.ok()) return Fail(s);

  std::unique_ptr<jobctl::controller::StateStore> store;
  if (flags.store == "memory") {
    store = std::make_unique<MemoryStateStore>();
  } else {
    auto sqlite = SqliteStateStore::Open(paths::StateDbPath(data_dir));
    if (!sqlite.ok()) return Fail(sqlite.status());
    store = std::move(*sqlite);
  }
  auto logs = LogStore::Open(paths::LogsDir(data_dir));
  if (!logs.ok()) return Fail(logs.status());
  // Metric points: DATA_DIR/metrics.db (in memory with --store memory).
  std::unique_ptr<MetricStore> metrics;
  if (flags.store != "memory") {
    auto sqlite = SqliteMetricStore::Open(data_dir + "/metrics.db");
    if (!sqlite.ok()) return Fail(sqlite.status());
    metrics = std::move(*sqlite);
  }

  ServerOptions options;
  options.listen = flags.listen;
  options.data_dir = data_dir;
  options.heartbeat_timeout_ms = flags.heartbeat_timeout_ms;
  options.grace_ms = flags.grace_period_ms;
  options.ports = *ports;
  options.version = JOBCTL_VERSION;
  options.pools = config.pools;

  // SIGTERM/SIGINT are taken by a dedicated thread, which stops the loop.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  zmq::context_t context(1);
  Server server(options, context, store.get(), logs->get(), jobctl::SystemClock::Get());
  if (metrics) server.SetMetricStore(metrics.get());
  if (auto s = server.Start(); !s.ok()) return Fail(s);
  spdlog::info("data dir {}; store {}", data_dir, flags.store);

  std::thread waiter([&server, signals]() {
    int sig = 0;
    sigwait(&signals, &sig);
    if (sig != 0) spdlog::info("signal {} received; shutting down", sig);
    server.Stop();
  });
  jobctl::Status status = server.Run();
  // Wake the waiter if the loop ended on its own.
  pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  if (!status.ok()) return Fail(status);
  spdlog::info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  jobctl::TuneMallocForLargeBuffers();
  jobctl::controller::ControllerFlags flags;
  CLI::App app{"jobctld: the jobctl controller (API, state, scheduler, logs)"};
  app.set_version_flag("--version", JOBCTL_VERSION);
  jobctl::controller::AddFlags(app, &flags);
  CLI11_PARSE(app, argc, argv);

  auto logger = spdlog::stderr_color_mt("jobctld");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(flags.log_level));
  return RunController(flags);
}
