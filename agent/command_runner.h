// CommandRunner: runs short helper commands (a container CLI's pull, image
// exists, stop, rm, ps) as child processes without blocking the event loop,
// and spawns the long-lived ones (`podman run`) whose pipes the caller reads.
// The seam lets tests check the exact command lines with a fake.
//
// AsioCommandRunner: each command runs in its own session with stdout and
// stderr on pipes, read line by line through Asio; on timeout its whole
// process group gets SIGKILL. `on_done` runs once, on the io_context, after
// the process exited and both pipes reached end of file. Destroying the
// runner kills every command still running (their `on_done` never runs).
//
// Thread-safety: belongs to the thread running its io_context.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "agent/child_process.h"
#include "common/status.h"

namespace jobctl::agent {

struct CommandSpec {
  std::vector<std::string> argv;  // argv[0] is an absolute path
  std::vector<std::string> env;   // "KEY=VALUE"
  std::chrono::milliseconds timeout{60000};
};

struct CommandOutcome {
  ExitInfo exit;
  bool timed_out = false;
  std::string output;  // the last few KiB of stdout and stderr, one line per '\n'
  bool Succeeded() const { return !timed_out && exit.Succeeded(); }
  // The output's last non-empty line (a CLI's error message), or "".
  std::string LastLine() const;
};

class CommandRunner {
 public:
  using LineSink = std::function<void(std::string_view line)>;
  virtual ~CommandRunner() = default;
  // `on_line` (may be null) sees every output line as it arrives.
  virtual void Run(const CommandSpec& spec, LineSink on_line,
                   std::function<void(CommandOutcome)> on_done) = 0;
  // Starts a child the caller watches (ExitWatcher) and reads.
  virtual Result<SpawnedChild> Spawn(const SpawnOptions& options) = 0;
};

class AsioCommandRunner final : public CommandRunner {
 public:
  explicit AsioCommandRunner(boost::asio::io_context& io);
  ~AsioCommandRunner() override;

  void Run(const CommandSpec& spec, LineSink on_line,
           std::function<void(CommandOutcome)> on_done) override;
  Result<SpawnedChild> Spawn(const SpawnOptions& options) override { return SpawnChild(options); }

 private:
  struct Running;
  void MaybeDone(int id);

  boost::asio::io_context& io_;
  int next_id_ = 1;
  std::map<int, std::unique_ptr<Running>> running_;
};

}  // namespace jobctl::agent
