// LocalProvider: a pool's nodes are jobagent processes on the controller's
// host. Node k of pool NAME is `NAME-k` (the lowest k not in use), with work
// dir DATA/pools/NAME/NAME-k and log DATA/pools/NAME/NAME-k.log, started as
//   jobagent --controller ENDPOINT --node-id NAME-k --pool NAME
//            --work-dir DIR --token-file DATA/auth/agent.token [agent_args...]
// (--token-file only when jobctld wrote that join token at init).
// Agents die with the controller (PR_SET_PDEATHSIG) and are stopped when the
// provider is destroyed. Delete sends SIGTERM, then SIGKILL after the grace.
//
// Thread-safety: not thread-safe; the server loop owns it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/clock.h"
#include "controller/providers/provider.h"

namespace jobctl::controller {

class LocalProvider : public NodeProvider {
 public:
  LocalProvider(PoolConfig pool, ProviderContext context, std::string agent_binary,
                const Clock* clock);
  ~LocalProvider() override;  // stops every agent it started (blocks up to the grace)

  uint64_t Create(int count) override;
  void Delete(const std::string& node_id) override;
  std::vector<ProviderEvent> Poll() override;
  std::string type() const override { return "local"; }

  // The jobagent binary: `configured` when given, else next to this
  // executable, else ../agent/jobagent (the build tree), else on $PATH.
  static Result<std::string> FindAgentBinary(const std::string& configured);

 private:
  struct Agent {
    pid_t pid = -1;
    int64_t kill_at_ms = -1;  // steady; >= 0 once SIGTERM was sent
  };
  std::string NextNodeId() const;

  PoolConfig pool_;
  ProviderContext context_;
  std::string agent_binary_;
  const Clock* clock_;
  std::map<std::string, Agent> agents_;  // node id -> process
  std::vector<ProviderEvent> events_;
  uint64_t next_request_ = 1;
};

}  // namespace jobctl::controller
