#include "agent/process_runtime.h"

#include <fcntl.h>
#include <signal.h>

#include <cerrno>
#include <cstring>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

namespace jobctl::agent {

ProcessRuntime::~ProcessRuntime() {
  // Nothing of a rank may outlive the agent's runtime.
  for (auto& [id, rank] : ranks_) {
    if (rank.pgid > 0) ::kill(-rank.pgid, SIGKILL);
  }
}

Result<StartedRank> ProcessRuntime::Start(const RankLaunch& launch,
                                          std::function<void(ExitInfo)> on_exit) {
  if (!launch.image.empty()) {
    return FailedPreconditionError("the process runtime cannot run image " + launch.image);
  }
  SpawnOptions options;
  options.argv = {"/bin/sh", "-c", launch.command};
  options.env = launch.env;
  options.cwd = launch.cwd;
  options.new_session = true;
  options.pipe_stdout = true;
  options.pipe_stderr = true;
  JOBCTL_ASSIGN_OR_RETURN(SpawnedChild child, SpawnChild(options));
  // Best effort: without the lifeline the rank still runs, but could
  // outlive a killed agent.
  if (Status s = lifeline_.Add(child.pid); !s.ok()) {
    spdlog::warn("rank {} may outlive this agent if it is killed: {}", child.pid, s.message());
  }
  // The pipes grow to 1 MiB once a rank fills one (LogReader), not here:
  // most ranks print little, and a big pipe costs its making and freeing.
  int id = next_id_++;
  Rank& rank = ranks_[id];
  rank.pgid = child.pid;  // setsid(): the child's pid is its group id
  rank.watcher = std::make_unique<ExitWatcher>(
      io_, child.pid, [this, id, on_exit = std::move(on_exit)](ExitInfo info) {
        auto it = ranks_.find(id);
        if (it != ranks_.end()) {
          // The shell is gone; whatever it left in its group goes with it.
          // The group id stays reserved while any member lives, so this
          // cannot hit an unrelated process group.
          ::kill(-it->second.pgid, SIGKILL);
          (void)lifeline_.Remove(it->second.pgid);
          it->second.exited = true;
          // The watcher is still on the stack: free it later.
          boost::asio::post(io_, [this, id] { ranks_.erase(id); });
        }
        on_exit(info);
      });
  StartedRank started;
  started.id = id;
  started.stdout_fd = child.stdout_fd;
  started.stderr_fd = child.stderr_fd;
  started.pid = child.pid;
  return started;
}

Status ProcessRuntime::Signal(int id, int signal) {
  auto it = ranks_.find(id);
  if (it == ranks_.end()) return Status::Ok();  // ended and forgotten
  if (it->second.exited) return Status::Ok();
  if (::kill(-it->second.pgid, signal) != 0 && errno != ESRCH) {
    return InternalError("kill(-" + std::to_string(it->second.pgid) + "): " +
                         std::strerror(errno));
  }
  return Status::Ok();
}

}  // namespace jobctl::agent
