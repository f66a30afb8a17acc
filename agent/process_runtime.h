// ProcessRuntime: each rank is `/bin/sh -c COMMAND` in its own session and
// process group (setsid), with the given environment and working directory,
// stdout and stderr on pipes. Signal() signals the whole process group; when
// the shell exits, the group's survivors (e.g. `sleep 1000 &`) get SIGKILL
// before on_exit is called. Every rank's group is registered with a
// RankLifeline (rank_lifeline.h): if the agent process dies, kill -9
// included, the groups are killed too, so no rank outlives its agent.
//
// Thread-safety: belongs to the thread running `io`.
#pragma once

#include <map>
#include <memory>

#include <boost/asio/io_context.hpp>

#include "agent/rank_lifeline.h"
#include "agent/runtime.h"

namespace jobctl::agent {

class ProcessRuntime final : public Runtime {
 public:
  explicit ProcessRuntime(boost::asio::io_context& io) : io_(io) {}
  ~ProcessRuntime() override;

  Result<StartedRank> Start(const RankLaunch& launch,
                            std::function<void(ExitInfo)> on_exit) override;
  Status Signal(int id, int signal) override;

 private:
  struct Rank {
    pid_t pgid = 0;
    bool exited = false;
    std::unique_ptr<ExitWatcher> watcher;
  };

  boost::asio::io_context& io_;
  int next_id_ = 1;
  std::map<int, Rank> ranks_;
  RankLifeline lifeline_;  // destroyed after the destructor's kills
};

}  // namespace jobctl::agent
