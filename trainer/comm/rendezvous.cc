#include "trainer/comm/rendezvous.h"

#include <string>

#include "trainer/comm/rendezvous_store_client.h"

namespace jobctl::trainer::comm {

Status ValidateRendezvousConfig(const RendezvousConfig& config) {
  if (config.world_size < 1) {
    return InvalidArgumentError("world size " + std::to_string(config.world_size) +
                                " must be at least 1");
  }
  if (config.rank < 0 || config.rank >= config.world_size) {
    return InvalidArgumentError("rank " + std::to_string(config.rank) + " is not in [0, " +
                                std::to_string(config.world_size) + ")");
  }
  if (config.timeout.count() <= 0) {
    return InvalidArgumentError("communicator timeout must be positive, got " +
                                std::to_string(config.timeout.count()) + " ms");
  }
  if (config.world_size > 1) {
    if (config.master_addr.empty()) return InvalidArgumentError("MASTER_ADDR is empty");
    if (config.master_port < 1 || config.master_port > 65535) {
      return InvalidArgumentError("MASTER_PORT " + std::to_string(config.master_port) +
                                  " is not in [1, 65535]");
    }
  }
  return Status::Ok();
}

Result<RendezvousSession> JoinRendezvous(const RendezvousConfig& config) {
  JOBCTL_RETURN_IF_ERROR(ValidateRendezvousConfig(config));
  RendezvousSession session;
  if (config.rank == 0) {
    auto server = RendezvousStoreServer::Start(config.master_port);
    if (!server.ok()) return server.status().WithContext("rank 0 rendezvous store");
    session.server = std::move(server).value();
  }
  auto client = RendezvousStoreClient::Connect(config.master_addr, config.master_port,
                                               config.timeout);
  if (!client.ok()) {
    return client.status().WithContext("rank " + std::to_string(config.rank) +
                                       " joining the rendezvous at MASTER_ADDR:MASTER_PORT");
  }
  session.store = std::move(client).value();
  return session;
}

}  // namespace jobctl::trainer::comm
