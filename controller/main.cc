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
#include "controller/auth/authenticator.h"
#include "controller/auth/key_store.h"
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

// `jobctld init`: create (or rotate) DATA_DIR/auth and say what was made.
int RunInit(const jobctl::controller::ControllerFlags& flags) {
  using namespace jobctl::controller;
  std::string data_dir = flags.data_dir.empty() ? paths::DefaultDataDir() : flags.data_dir;
  if (auto s = paths::CreateDataDirLayout(data_dir); !s.ok()) return Fail(s);
  auto state = auth::InitAuth(data_dir, flags.rotate_keys, jobctl::SystemClock::Get());
  if (!state.ok()) return Fail(state.status());
  auto p = auth::AuthPathsFor(data_dir);
  if (state->created.empty()) {
    std::printf("%s: everything in place, nothing created\n", p.dir.c_str());
  } else {
    std::printf("%s%s:\n", p.dir.c_str(), flags.rotate_keys ? " (rotated)" : "");
    for (const auto& line : state->created) std::printf("  created %s\n", line.c_str());
  }
  std::printf("controller public key: %s\nadmin token: %s\nagent join token: %s\n",
              state->controller.public_key.c_str(), p.admin_token.c_str(), p.agent_token.c_str());
  if (flags.rotate_keys) {
    std::printf("every other token was forgotten: issue new ones with `jobctl token create`\n");
  }
  return 0;
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
  // Keys and tokens (docs/security.md): the first start needs no `jobctld init`.
  auto auth_state = auth::InitAuth(data_dir, /*rotate=*/false, jobctl::SystemClock::Get());
  if (!auth_state.ok()) return Fail(auth_state.status());
  for (const auto& line : auth_state->created) spdlog::info("auth: created {}", line);

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
  auth::Authenticator authenticator(context, auth_state->controller, auth_state->registry.get());
  options.authenticator = &authenticator;
  Server server(options, context, store.get(), logs->get(), jobctl::SystemClock::Get());
  if (metrics) server.SetMetricStore(metrics.get());
  if (auto s = server.Start(); !s.ok()) return Fail(s);
  spdlog::info("data dir {}; store {}; CURVE key {} ({} credentials)", data_dir, flags.store,
               auth_state->controller.public_key, auth_state->registry->size());

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
  CLI::App* init = jobctl::controller::AddInitCommand(app, &flags);
  CLI11_PARSE(app, argc, argv);

  auto logger = spdlog::stderr_color_mt("jobctld");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(flags.log_level));
  if (init->parsed()) return RunInit(flags);
  return RunController(flags);
}
