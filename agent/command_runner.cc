#include "agent/command_runner.h"

#include <signal.h>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "agent/log_reader.h"

namespace jobctl::agent {
namespace {

constexpr size_t kKeptOutputBytes = 8192;

}  // namespace

std::string CommandOutcome::LastLine() const {
  size_t end = output.size();
  while (end > 0) {
    while (end > 0 && (output[end - 1] == '\n' || output[end - 1] == ' ')) --end;
    size_t begin = output.rfind('\n', end == 0 ? 0 : end - 1);
    begin = begin == std::string::npos ? 0 : begin + 1;
    if (end > begin) return output.substr(begin, end - begin);
    end = begin;
  }
  return "";
}

struct AsioCommandRunner::Running {
  pid_t pid = -1;
  CommandOutcome outcome;
  bool exited = false;
  int open_streams = 2;
  LineSink on_line;
  std::function<void(CommandOutcome)> on_done;
  std::unique_ptr<ExitWatcher> watcher;
  std::unique_ptr<LogReader> out;
  std::unique_ptr<LogReader> err;
  std::unique_ptr<boost::asio::steady_timer> timer;
};

AsioCommandRunner::AsioCommandRunner(boost::asio::io_context& io) : io_(io) {}

AsioCommandRunner::~AsioCommandRunner() {
  for (auto& [id, r] : running_) {
    if (!r->exited && r->pid > 0) ::kill(-r->pid, SIGKILL);
  }
}

void AsioCommandRunner::Run(const CommandSpec& spec, LineSink on_line,
                            std::function<void(CommandOutcome)> on_done) {
  SpawnOptions options;
  options.argv = spec.argv;
  options.env = spec.env;
  options.new_session = true;
  options.pipe_stdout = true;
  options.pipe_stderr = true;
  auto child = SpawnChild(options);
  if (!child.ok()) {
    CommandOutcome outcome;
    outcome.exit.exit_code = 127;
    outcome.output = child.status().message();
    boost::asio::post(io_, [on_done = std::move(on_done), outcome] { on_done(outcome); });
    return;
  }
  int id = next_id_++;
  auto r = std::make_unique<Running>();
  Running* rp = r.get();
  rp->pid = child->pid;
  rp->on_line = std::move(on_line);
  rp->on_done = std::move(on_done);
  auto sink = [rp](const std::vector<std::string_view>& lines) {
    for (auto line : lines) {
      if (rp->on_line) rp->on_line(line);
      rp->outcome.output.append(line).append("\n");
    }
    if (rp->outcome.output.size() > kKeptOutputBytes) {
      rp->outcome.output.erase(0, rp->outcome.output.size() - kKeptOutputBytes);
    }
  };
  auto on_eof = [this, id, rp] {
    --rp->open_streams;
    MaybeDone(id);
  };
  rp->out = std::make_unique<LogReader>(io_, child->stdout_fd, sink, on_eof);
  rp->err = std::make_unique<LogReader>(io_, child->stderr_fd, sink, on_eof);
  rp->watcher = std::make_unique<ExitWatcher>(io_, child->pid, [this, id, rp](ExitInfo info) {
    rp->exited = true;
    rp->outcome.exit = info;
    // Whatever the command left in its group goes with it (and closes the pipes).
    ::kill(-rp->pid, SIGKILL);
    rp->timer->cancel();
    MaybeDone(id);
  });
  rp->timer = std::make_unique<boost::asio::steady_timer>(io_, spec.timeout);
  rp->timer->async_wait([rp](const boost::system::error_code& ec) {
    if (ec || rp->exited) return;
    rp->outcome.timed_out = true;
    ::kill(-rp->pid, SIGKILL);
  });
  running_[id] = std::move(r);
}

void AsioCommandRunner::MaybeDone(int id) {
  auto it = running_.find(id);
  if (it == running_.end()) return;
  Running* rp = it->second.get();
  if (!rp->exited || rp->open_streams > 0) return;
  // Free the state after the current handler (a watcher or reader) returned.
  boost::asio::post(io_, [this, id] {
    auto it = running_.find(id);
    if (it == running_.end()) return;
    std::unique_ptr<Running> r = std::move(it->second);
    running_.erase(it);
    r->on_done(std::move(r->outcome));
  });
}

}  // namespace jobctl::agent
