// CommandProvider: the admin's scripts add and remove nodes (docs/pools.md).
//
//   create: `/bin/sh -c CREATE` with JOBCTL_POOL, JOBCTL_COUNT,
//           JOBCTL_CONTROLLER and JOBCTL_TOKEN (the agent join token of
//           DATA/auth/agent.token; jobagent reads $JOBCTL_TOKEN) in its
//           environment; prints the new node ids, one per line; those nodes
//           then register with these ids.
//   delete: `/bin/sh -c 'DELETE "$1"' sh NODE` with JOBCTL_POOL, JOBCTL_NODE.
//
// Each runs as a child process watched by Poll(); one that runs longer than
// the timeout is killed. A non-zero exit is a failure whose stderr (its last
// lines) goes to the controller log. Output files live in DATA/pools/NAME/.
//
// Thread-safety: not thread-safe; the server loop owns it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <list>
#include <string>
#include <vector>

#include "common/clock.h"
#include "controller/providers/provider.h"

namespace jobctl::controller {

class CommandProvider : public NodeProvider {
 public:
  CommandProvider(PoolConfig pool, ProviderContext context, const Clock* clock);
  ~CommandProvider() override;  // kills scripts still running

  uint64_t Create(int count) override;
  void Delete(const std::string& node_id) override;
  std::vector<ProviderEvent> Poll() override;
  std::string type() const override { return "command"; }

 private:
  struct Script {
    bool create = true;
    uint64_t request = 0;
    int count = 0;
    std::string node;  // delete
    pid_t pid = -1;
    int64_t deadline_ms = 0;
    std::string out_file;
    std::string err_file;
  };
  void Finish(const Script& script, bool ok, const std::string& how);

  PoolConfig pool_;
  ProviderContext context_;
  const Clock* clock_;
  std::string dir_;
  std::list<Script> running_;
  std::vector<ProviderEvent> events_;
  uint64_t next_request_ = 1;
  uint64_t next_file_ = 1;
};

}  // namespace jobctl::controller
