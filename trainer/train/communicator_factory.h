// MakeCommunicator: the communicator for this process from the rendezvous
// variables (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT).
// World size 1 (or no variables) is a local communicator that opens no
// socket; more ranks use Gloo over TCP when the build has trainer/comm.
//
// Thread-safety: call from one thread.
#pragma once

#include <memory>

#include "common/status.h"
#include "trainer/comm/communicator.h"

namespace jobctl::trainer {

Result<std::unique_ptr<Communicator>> MakeCommunicator();

}  // namespace jobctl::trainer
