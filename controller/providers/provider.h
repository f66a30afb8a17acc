// NodeProvider: adds nodes to a pool and removes them (docs/pools.md).
//
// Calls never block for long: Create() and Delete() start the work and
// return; what finished is collected by Poll(), which the server loop calls
// on every iteration. A created node joins by registering itself with the
// controller under the id the provider returned; the autoscaler watches for
// that, so a provider does not report readiness.
//
// Implementations: LocalProvider (jobagent processes on this host),
// CommandProvider (the admin's create/delete scripts), FakeProvider (tests).
//
// Thread-safety: not thread-safe; the server loop owns each provider.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "controller/config.h"

namespace jobctl::controller {

struct ProviderEvent {
  enum class Kind { kCreated, kCreateFailed, kDeleted, kDeleteFailed };
  Kind kind = Kind::kCreated;
  uint64_t request = 0;            // the id Create() returned (create events)
  int count = 0;                   // nodes asked for (create events)
  std::vector<std::string> nodes;  // created: the new node ids; delete: the node
  std::string error;               // failures: what went wrong (one line)
};

class NodeProvider {
 public:
  virtual ~NodeProvider() = default;
  // Starts creating `count` nodes; returns a request id for its events.
  virtual uint64_t Create(int count) = 0;
  // Starts removing `node_id` (a node this provider created, or one that
  // registered into its pool).
  virtual void Delete(const std::string& node_id) = 0;
  // Events finished since the last call; never blocks.
  virtual std::vector<ProviderEvent> Poll() = 0;
  // "local", "command", ...
  virtual std::string type() const = 0;
};

// What the providers need to know about the controller.
struct ProviderContext {
  std::string controller_endpoint;  // what agents connect to
  std::string data_dir;             // the controller's --data-dir
};

// DATA/auth/agent.token: the join token jobctld writes at init
// (docs/security.md). Local agents start with --token-file FILE; command
// scripts get its text as $JOBCTL_TOKEN.
std::string AgentTokenFile(const ProviderContext& context);
// The token text of AgentTokenFile (one line); empty when it cannot be read
// (a controller without authentication, in tests).
std::string AgentTokenText(const ProviderContext& context);

// The provider `pool.provider` describes. kInvalidArgument for a bad config
// (e.g. no jobagent binary found).
Result<std::unique_ptr<NodeProvider>> MakeProvider(const PoolConfig& pool,
                                                   const ProviderContext& context);

}  // namespace jobctl::controller
