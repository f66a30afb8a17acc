// Joining a job's rendezvous: rank 0 serves the key-value store at
// MASTER_PORT, every rank (rank 0 included) connects a client to
// MASTER_ADDR:MASTER_PORT. Gloo and NCCL communicators both start here.
//
// Thread-safety: free functions; a RendezvousSession is owned by one
// communicator.
#pragma once

#include <memory>

#include "common/status.h"
#include "trainer/comm/communicator.h"
#include "trainer/comm/rendezvous_store.h"
#include "trainer/comm/rendezvous_store_server.h"

namespace jobctl::trainer::comm {

// kInvalidArgument when rank/world size/port/timeout do not make sense.
Status ValidateRendezvousConfig(const RendezvousConfig& config);

struct RendezvousSession {
  // Rank 0 only: must outlive every peer's use of the store, so the
  // communicator keeps it for its whole life.
  std::unique_ptr<RendezvousStoreServer> server;
  std::shared_ptr<RendezvousStore> store;
};

// Rank 0 binds MASTER_PORT (kUnavailable naming the port if taken); every
// rank connects, retrying until config.timeout (kDeadlineExceeded naming
// MASTER_ADDR:MASTER_PORT).
Result<RendezvousSession> JoinRendezvous(const RendezvousConfig& config);

}  // namespace jobctl::trainer::comm
