#include "agent/container_runtime.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <thread>

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

namespace jobctl::agent {
namespace {

constexpr char kNodeLabel[] = "jobctl.node";

std::vector<std::string> Cli(const ContainerCliOptions& o) {
  std::vector<std::string> argv = {o.binary};
  argv.insert(argv.end(), o.global_flags.begin(), o.global_flags.end());
  return argv;
}

bool Insecure(const ContainerCliOptions& o, const std::string& image) {
  std::string host = RegistryOf(image);
  for (const auto& r : o.insecure_registries) {
    if (r == host) return true;
  }
  return false;
}

std::string Key(const std::string& kv) { return kv.substr(0, kv.find('=')); }

std::string Seconds(std::chrono::milliseconds ms) {
  return std::to_string((ms.count() + 999) / 1000);
}

// "KEY=VALUE" entries, later ones replacing earlier ones with the same key.
std::vector<std::string> Merge(const std::vector<std::string>& base,
                               const std::vector<std::string>& over) {
  std::map<std::string, std::string> env;
  for (const auto& kv : base) env[Key(kv)] = kv;
  for (const auto& kv : over) env[Key(kv)] = kv;
  std::vector<std::string> out;
  out.reserve(env.size());
  for (auto& [k, kv] : env) out.push_back(std::move(kv));
  return out;
}

}  // namespace

std::string ContainerName(const std::string& job_id, int attempt, int rank) {
  std::string name =
      "jobctl-" + job_id + "-a" + std::to_string(attempt) + "-r" + std::to_string(rank);
  for (char& c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    if (!ok) c = '_';
  }
  return name;
}

std::string RegistryOf(const std::string& image) {
  size_t slash = image.find('/');
  if (slash == std::string::npos) return "";
  std::string first = image.substr(0, slash);
  if (first.find('.') != std::string::npos || first.find(':') != std::string::npos ||
      first == "localhost") {
    return first;
  }
  return "";
}

bool HostOnlyVariable(const std::string& key) {
  static const std::set<std::string> host_only = {"PATH",
                                                  "HOME",
                                                  "HOSTNAME",
                                                  "PWD",
                                                  "OLDPWD",
                                                  "SHLVL",
                                                  "_",
                                                  "USER",
                                                  "LOGNAME",
                                                  "SHELL",
                                                  "TMPDIR",
                                                  "LD_LIBRARY_PATH",
                                                  "TERM",
                                                  "MAIL",
                                                  "XDG_RUNTIME_DIR",
                                                  "CONTAINERS_CONF",
                                                  "CONTAINERS_STORAGE_CONF",
                                                  "DBUS_SESSION_BUS_ADDRESS"};
  return host_only.count(key) > 0;
}

std::vector<std::string> RunArgv(const ContainerCliOptions& o, const RankLaunch& launch) {
  std::vector<std::string> argv = Cli(o);
  std::string name = ContainerName(launch.job_id, launch.attempt, launch.rank);
  argv.insert(argv.end(),
              {"run", "--rm", "--name", name, "--label", std::string(kNodeLabel) + "=" + o.node_id,
               "--label", "jobctl.job=" + launch.job_id, "--network", "host", "--ipc", "host",
               "--init", "--pull", "never", "--log-driver", "none"});
  for (const auto& m : launch.mounts) {
    argv.push_back("--volume");
    argv.push_back(m);
    argv.back().append(":").append(m);
  }
  for (const auto& m : launch.read_only_mounts) {
    argv.push_back("--volume");
    argv.push_back(m);
    argv.back().append(":").append(m).append(":ro");
  }
  argv.insert(argv.end(), {"--workdir", launch.cwd});
  for (const auto& kv : launch.env) {
    std::string key = Key(kv);
    if (key.empty() || HostOnlyVariable(key)) continue;
    argv.push_back("--env");
    argv.push_back(key);  // the value comes from the client's environment
  }
  if (!launch.gpus.empty()) {
    if (o.kind == "docker") {
      std::string devices;
      for (int g : launch.gpus) devices += (devices.empty() ? "" : ",") + std::to_string(g);
      argv.push_back("--gpus");
      argv.push_back("\"device=" + devices + "\"");
    } else {
      for (int g : launch.gpus) {
        argv.push_back("--device");
        argv.push_back("nvidia.com/gpu=" + std::to_string(g));
      }
    }
  }
  argv.insert(argv.end(), {launch.image, "/bin/sh", "-c", launch.command});
  return argv;
}

std::vector<std::string> RunClientEnv(const ContainerCliOptions& o, const RankLaunch& launch) {
  std::vector<std::string> over = o.extra_env;
  if (!launch.gpus.empty()) {
    // Inside, the container sees only its GPUs, numbered from 0.
    std::string visible;
    for (size_t i = 0; i < launch.gpus.size(); ++i) {
      visible += (i == 0 ? "" : ",") + std::to_string(i);
    }
    over.push_back("CUDA_VISIBLE_DEVICES=" + visible);
  }
  return Merge(launch.env, over);
}

std::vector<std::string> PullArgv(const ContainerCliOptions& o, const std::string& image) {
  std::vector<std::string> argv = Cli(o);
  argv.push_back("pull");
  if (o.kind == "podman" && Insecure(o, image)) argv.push_back("--tls-verify=false");
  argv.push_back(image);
  return argv;
}

std::vector<std::string> ImageExistsArgv(const ContainerCliOptions& o, const std::string& image) {
  std::vector<std::string> argv = Cli(o);
  if (o.kind == "docker") {
    argv.insert(argv.end(), {"image", "inspect", "--format", "{{.Id}}", image});
  } else {
    argv.insert(argv.end(), {"image", "exists", image});
  }
  return argv;
}

std::vector<std::string> StopArgv(const ContainerCliOptions& o, const std::string& name) {
  std::vector<std::string> argv = Cli(o);
  argv.insert(argv.end(), {"stop", "-t", std::to_string(o.stop_grace_seconds), name});
  return argv;
}

std::vector<std::string> KillArgv(const ContainerCliOptions& o, const std::string& name,
                                  int signal) {
  std::vector<std::string> argv = Cli(o);
  argv.insert(argv.end(), {"kill", "--signal", std::to_string(signal), name});
  return argv;
}

std::vector<std::string> RemoveArgv(const ContainerCliOptions& o,
                                    const std::vector<std::string>& names) {
  std::vector<std::string> argv = Cli(o);
  argv.insert(argv.end(), {"rm", "-f"});
  // podman's rm -f stops with a 10 s grace first; ours is a kill (docker's is).
  if (o.kind == "podman") argv.insert(argv.end(), {"-t", "0"});
  argv.insert(argv.end(), names.begin(), names.end());
  return argv;
}

std::vector<std::string> ListOursArgv(const ContainerCliOptions& o) {
  std::vector<std::string> argv = Cli(o);
  argv.insert(argv.end(),
              {"ps", "-a", "--filter", "label=" + std::string(kNodeLabel) + "=" + o.node_id,
               "--format", "{{.Names}}"});
  return argv;
}

ContainerRuntime::ContainerRuntime(boost::asio::io_context& io, CommandRunner* commands,
                                   ContainerCliOptions options)
    : io_(io), commands_(commands), options_(std::move(options)), host_(io) {}

ContainerRuntime::~ContainerRuntime() {
  *alive_ = false;
  // Nothing of a rank may outlive the agent's runtime: remove the live
  // containers now, waiting (bounded) for the CLI.
  std::vector<std::string> names;
  for (auto& [id, rank] : ranks_) {
    if (rank.exited) continue;
    if (rank.pid > 0) ::kill(-rank.pid, SIGKILL);
    names.push_back(rank.name);
  }
  if (names.empty()) return;
  SpawnOptions so;
  so.argv = RemoveArgv(options_, names);
  so.env = Merge(options_.base_env, options_.extra_env);
  so.new_session = true;
  auto child = SpawnChild(so);
  if (!child.ok()) return;
  auto deadline = std::chrono::steady_clock::now() + options_.command_timeout;
  while (::waitpid(child->pid, nullptr, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(-child->pid, SIGKILL);
      ::waitpid(child->pid, nullptr, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

CommandSpec ContainerRuntime::Helper(std::vector<std::string> argv) const {
  CommandSpec spec;
  spec.argv = std::move(argv);
  spec.env = Merge(options_.base_env, options_.extra_env);
  spec.timeout = options_.command_timeout;
  return spec;
}

Result<StartedRank> ContainerRuntime::Start(const RankLaunch& launch,
                                            std::function<void(ExitInfo)> on_exit) {
  if (launch.image.empty()) {
    int id = next_id_++;
    JOBCTL_ASSIGN_OR_RETURN(StartedRank started,
                            host_.Start(launch, [this, id, on_exit](ExitInfo info) {
                              // Forgotten later: the host runtime is inside its callback.
                              boost::asio::post(io_, [this, id, alive = alive_] {
                                if (*alive) host_ids_.erase(id);
                              });
                              on_exit(info);
                            }));
    host_ids_[id] = started.id;
    started.id = id;
    return started;
  }
  SpawnOptions so;
  so.argv = RunArgv(options_, launch);
  so.env = RunClientEnv(options_, launch);
  so.cwd = launch.cwd;
  so.new_session = true;
  so.pipe_stdout = true;
  so.pipe_stderr = true;
  JOBCTL_ASSIGN_OR_RETURN(SpawnedChild child, commands_->Spawn(so));
  int id = next_id_++;
  Rank& rank = ranks_[id];
  rank.name = ContainerName(launch.job_id, launch.attempt, launch.rank);
  rank.pid = child.pid;
  rank.watcher = std::make_unique<ExitWatcher>(
      io_, child.pid, [this, id, on_exit = std::move(on_exit)](ExitInfo info) {
        auto it = ranks_.find(id);
        if (it == ranks_.end()) return on_exit(info);
        ::kill(-it->second.pid, SIGKILL);  // the client's leftovers, if any
        // The client is gone; make sure its container is too, then report.
        commands_->Run(Helper(RemoveArgv(options_, {it->second.name})), nullptr,
                       [this, id, info, on_exit, alive = alive_](const CommandOutcome&) {
                         if (!*alive) return;
                         auto it = ranks_.find(id);
                         if (it != ranks_.end()) {
                           it->second.exited = true;
                           ranks_.erase(it);
                         }
                         on_exit(info);
                       });
      });
  StartedRank started;
  started.id = id;
  started.stdout_fd = child.stdout_fd;
  started.stderr_fd = child.stderr_fd;
  started.pid = child.pid;
  return started;
}

Status ContainerRuntime::Signal(int id, int signal) {
  auto host = host_ids_.find(id);
  if (host != host_ids_.end()) return host_.Signal(host->second, signal);
  auto it = ranks_.find(id);
  if (it == ranks_.end() || it->second.exited) return Status::Ok();
  const std::string& name = it->second.name;
  std::vector<std::string> argv;
  if (signal == SIGTERM) {
    argv = StopArgv(options_, name);
  } else if (signal == SIGKILL) {
    argv = RemoveArgv(options_, {name});
    if (it->second.pid > 0) ::kill(-it->second.pid, SIGKILL);
  } else {
    argv = KillArgv(options_, name, signal);
  }
  CommandSpec spec = Helper(std::move(argv));
  if (signal == SIGTERM) spec.timeout += std::chrono::seconds(options_.stop_grace_seconds);
  commands_->Run(spec, nullptr, [name, signal](const CommandOutcome& outcome) {
    if (!outcome.Succeeded()) {
      spdlog::debug("signal {} to container {}: {}", signal, name, outcome.LastLine());
    }
  });
  return Status::Ok();
}

void ContainerRuntime::PrepareImage(const ImageRequest& request,
                                    std::function<void(std::string_view line)> on_line,
                                    std::function<void(Status)> on_done) {
  const std::string image = request.image;
  if (image.empty()) return on_done(InvalidArgumentError("empty image reference"));
  if (request.pull_policy == "always") {
    bool first = pulls_.count(image) == 0;
    pulls_[image].push_back({std::move(on_line), std::move(on_done)});
    if (first) Pull(image);
    return;
  }
  commands_->Run(
      Helper(ImageExistsArgv(options_, image)), nullptr,
      [this, image, policy = request.pull_policy, on_line = std::move(on_line),
       on_done = std::move(on_done), alive = alive_](const CommandOutcome& outcome) mutable {
        if (!*alive) return;
        if (outcome.Succeeded()) {
          if (on_line) on_line("image " + image + " is present on node " + options_.node_id);
          return on_done(Status::Ok());
        }
        if (outcome.timed_out || outcome.exit.exit_code > 1) {
          return on_done(UnavailableError("cannot check for image " + image + " on node " +
                                          options_.node_id + ": " + outcome.LastLine()));
        }
        if (policy == "never") {
          return on_done(NotFoundError("image " + image + " is not present on node " +
                                       options_.node_id + " and pull_policy is never"));
        }
        bool first = pulls_.count(image) == 0;
        pulls_[image].push_back({std::move(on_line), std::move(on_done)});
        if (first) Pull(image);
      });
}

void ContainerRuntime::Pull(const std::string& image) {
  spdlog::info("pulling image {}", image);
  for (auto& w : pulls_[image]) {
    if (w.on_line) w.on_line("pulling image " + image + " on node " + options_.node_id);
  }
  CommandSpec spec = Helper(PullArgv(options_, image));
  spec.timeout = options_.pull_timeout;
  commands_->Run(
      spec,
      [this, image](std::string_view line) {
        auto it = pulls_.find(image);
        if (it == pulls_.end()) return;
        for (auto& w : it->second) {
          if (w.on_line) w.on_line(line);
        }
      },
      [this, image, alive = alive_](const CommandOutcome& outcome) {
        if (!*alive) return;
        if (outcome.Succeeded()) return FinishPull(image, Status::Ok());
        std::string why = outcome.timed_out
                              ? "timed out after " + Seconds(options_.pull_timeout) + " s"
                              : outcome.LastLine();
        if (why.empty()) why = "exit code " + std::to_string(outcome.exit.exit_code);
        FinishPull(image, UnavailableError("pulling image " + image + " failed on node " +
                                           options_.node_id + ": " + why));
      });
}

void ContainerRuntime::FinishPull(const std::string& image, const Status& status) {
  auto it = pulls_.find(image);
  if (it == pulls_.end()) return;
  std::vector<Waiter> waiters = std::move(it->second);
  pulls_.erase(it);
  if (status.ok())
    spdlog::info("pulled image {}", image);
  else
    spdlog::warn("{}", status.message());
  for (auto& w : waiters) w.on_done(status);
}

void ContainerRuntime::RemoveLeftovers(std::function<void(Result<int>)> on_done) {
  commands_->Run(
      Helper(ListOursArgv(options_)), nullptr,
      [this, on_done = std::move(on_done), alive = alive_](const CommandOutcome& outcome) {
        if (!*alive) return;
        if (!outcome.Succeeded()) {
          return on_done(UnavailableError("listing containers failed: " + outcome.LastLine()));
        }
        std::vector<std::string> names;
        size_t pos = 0;
        const std::string& out = outcome.output;
        while (pos < out.size()) {
          size_t nl = out.find('\n', pos);
          if (nl == std::string::npos) nl = out.size();
          std::string name = out.substr(pos, nl - pos);
          if (name.rfind("jobctl-", 0) == 0) names.push_back(name);
          pos = nl + 1;
        }
        if (names.empty()) return on_done(0);
        int count = static_cast<int>(names.size());
        commands_->Run(
            Helper(RemoveArgv(options_, names)), nullptr,
            [count, on_done](const CommandOutcome& rm) {
              if (!rm.Succeeded()) {
                return on_done(UnavailableError("removing leftover containers: " + rm.LastLine()));
              }
              on_done(count);
            });
      });
}

}  // namespace jobctl::agent
