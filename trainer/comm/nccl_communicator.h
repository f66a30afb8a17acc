// NcclCommunicator: collectives over GPU memory with NCCL (GPU training).
//
// Rendezvous: the same store as Gloo's (rank 0 serves it at
// MASTER_ADDR:MASTER_PORT); rank 0 publishes the ncclUniqueId, the others
// read it. The rank uses GPU LOCAL_RANK % device count.
//
// Pointers are device pointers (memory_kind() is kDevice). Each collective
// runs on the communicator's own stream, which is a blocking stream: it
// starts after work queued on the legacy default stream, and the call
// returns when the result is in place. Timeouts: the communicator is
// created non-blocking and every wait polls ncclCommGetAsyncError and the
// stream against config.timeout; past it the communicator is aborted
// (ncclCommAbort) and the call returns kDeadlineExceeded; a peer failure
// NCCL reports is kUnavailable. A broken communicator answers
// kFailedPrecondition.
//
// Thread-safety: not thread-safe (see Communicator).
#pragma once

#include <memory>

#include "common/status.h"
#include "trainer/comm/communicator.h"
#include "trainer/comm/rendezvous_store.h"

namespace jobctl::trainer {

// kFailedPrecondition with the reason when built without NCCL or when no GPU
// is visible. World size 1 returns a local communicator of kind kDevice.
Result<std::unique_ptr<Communicator>> CreateNcclCommunicator(const RendezvousConfig& config);

// Same, over a store the caller already holds (all ranks share it); starts
// no server.
Result<std::unique_ptr<Communicator>> CreateNcclCommunicatorWithStore(
    const RendezvousConfig& config, std::shared_ptr<comm::RendezvousStore> store);

}  // namespace jobctl::trainer
