// jobagent: the node agent. See agent.h for what it does and agent_flags.cc
// for its options.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <spdlog/spdlog.h>
#include <zmq.hpp>

#include "agent/agent.h"
#include "agent/agent_flags.h"
#include "agent/node_resources.h"
#include "agent/paths.h"
#include "agent/runtime_factory.h"
#include "agent/process_runtime.h"
#include "common/malloc_tuning.h"

extern char** environ;

namespace {

int Run(int argc, char** argv) {
  using namespace jobctl;
  using namespace jobctl::agent;
  auto flags = ParseAgentFlags(argc, argv);
  if (!flags.ok()) {
    if (flags.status().code() == StatusCode::kCancelled) {
      std::printf("%s", flags.status().message().c_str());
      return 0;
    }
    std::fprintf(stderr, "jobagent: %s\n", flags.status().message().c_str());
    return 2;
  }
  std::optional<std::string> env_token;
  if (const char* t = std::getenv("JOBCTL_TOKEN")) env_token = t;
  // The join token is the agent's alone: the ranks it starts do not inherit it.
  ::unsetenv("JOBCTL_TOKEN");
  auto token = ResolveJoinToken(flags->token_file, env_token);
  if (!token.ok()) {
    std::fprintf(stderr, "jobagent: %s\n", token.status().message().c_str());
    return 2;
  }
  auto credentials = auth::CredentialsFromToken(*token);
  if (!credentials.ok()) {
    std::fprintf(stderr, "jobagent: join token: %s\n", credentials.status().message().c_str());
    return 2;
  }
  spdlog::set_level(spdlog::level::from_str(flags->log_level));
  ::signal(SIGPIPE, SIG_IGN);
  TuneMallocForLargeBuffers();

  auto node_id = ResolveNodeId(flags->node_id, paths::NodeIdFile(flags->work_dir));
  if (!node_id.ok()) {
    std::fprintf(stderr, "jobagent: --work-dir %s: %s\n", flags->work_dir.c_str(),
                 node_id.status().message().c_str());
    return 2;
  }
  AgentOptions options;
  options.controller = flags->controller;
  options.credentials = *credentials;
  options.work_dir = flags->work_dir;
  options.node.id = *node_id;
  options.node.hostname = Hostname();
  if (flags->advertise_addr.empty()) {
    auto addr = LocalAddressTowards(flags->controller);
    if (!addr.ok()) {
      std::fprintf(stderr, "jobagent: %s\n", addr.status().message().c_str());
      return 2;
    }
    options.node.address = *addr;
  } else {
    options.node.address = flags->advertise_addr;
  }
  options.node.pool = flags->pool;
  options.node.labels = flags->labels;
  options.node.cpus = flags->cpus > 0 ? flags->cpus : DetectCpus();
  options.node.memory_bytes = flags->memory_bytes > 0 ? flags->memory_bytes : DetectMemoryBytes();
  options.node.gpus = flags->gpus >= 0 ? FakeGpus(flags->gpus) : DiscoverGpus();
  options.heartbeat = std::chrono::milliseconds(flags->heartbeat_ms);
  options.default_grace = std::chrono::milliseconds(flags->grace_period_ms);
  options.request_timeout = std::chrono::milliseconds(flags->request_timeout_ms);
  options.keep_attempt_dirs = flags->keep_attempt_dirs;
  for (char** e = environ; *e != nullptr; ++e) options.base_env.emplace_back(*e);

  spdlog::info("jobagent node {} ({}), address {}, {} cpus, {} MiB, {} gpus, pool {}, "
               "controller {}",
               options.node.id, options.node.hostname, options.node.address, options.node.cpus,
               options.node.memory_bytes >> 20, options.node.gpus.size(), options.node.pool,
               options.controller);
  spdlog::info("join token {}", auth::TokenId(credentials->client_public));

  boost::asio::io_context io;
  zmq::context_t zmq_context(1);
  auto runtime = MakeRuntime(io, *flags, options.node.id, options.base_env);
  if (!runtime.ok()) {
    std::fprintf(stderr, "jobagent: %s\n", runtime.status().message().c_str());
    return 2;
  }
  spdlog::info("runtime: {}", runtime->runtime->Name());
  Agent agent(io, zmq_context, runtime->runtime.get(), options);
  if (runtime->containers != nullptr) {
    // Containers a previous agent of this node left behind go first.
    runtime->containers->RemoveLeftovers([](Result<int> removed) {
      if (!removed.ok()) spdlog::warn("{}", removed.status().message());
      else if (*removed > 0) spdlog::info("removed {} leftover container(s)", *removed);
    });
  }
  Status s = agent.Start();
  if (!s.ok()) {
    std::fprintf(stderr, "jobagent: --controller: %s\n", s.message().c_str());
    return 2;
  }
  boost::asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    spdlog::info("signal {}: stopping", sig);
    agent.Shutdown([&io] { io.stop(); });
  });
  io.run();
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Run(argc, argv); }
