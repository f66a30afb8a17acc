#include "controller/providers/provider.h"

#include "common/auth/token.h"
#include "common/clock.h"
#include "controller/providers/command_provider.h"
#include "controller/providers/local_provider.h"

namespace jobctl::controller {

std::string AgentTokenFile(const ProviderContext& context) {
  return context.data_dir + "/auth/agent.token";
}

std::string AgentTokenText(const ProviderContext& context) {
  auto token = jobctl::auth::ReadTokenFile(AgentTokenFile(context));
  return token.ok() ? token->Encode() : "";
}

Result<std::unique_ptr<NodeProvider>> MakeProvider(const PoolConfig& pool,
                                                   const ProviderContext& context) {
  if (pool.provider.type == "local") {
    auto binary = LocalProvider::FindAgentBinary(pool.provider.agent_binary);
    if (!binary.ok()) {
      return InvalidArgumentError("pool " + pool.name + ": " + binary.status().message());
    }
    return std::unique_ptr<NodeProvider>(
        std::make_unique<LocalProvider>(pool, context, *binary, SystemClock::Get()));
  }
  if (pool.provider.type == "command") {
    return std::unique_ptr<NodeProvider>(
        std::make_unique<CommandProvider>(pool, context, SystemClock::Get()));
  }
  return InvalidArgumentError("pool " + pool.name + ": provider.type: unknown type '" +
                              pool.provider.type + "' (expected local or command)");
}

}  // namespace jobctl::controller
