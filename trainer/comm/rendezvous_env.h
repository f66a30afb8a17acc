// Parsing of the torchrun rendezvous variables, with the lookup injectable
// so tests need not touch the process environment.
// RendezvousFromEnvironment() (communicator.h) is this over getenv(3).
//
// Variables: RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT, and
// JOBCTL_COMM_TIMEOUT_MS (optional, milliseconds, overrides the 60 s
// default). Neither RANK nor WORLD_SIZE set: world size 1. MASTER_ADDR and
// MASTER_PORT are required when WORLD_SIZE > 1.
//
// Thread-safety: pure function of `lookup`.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "trainer/comm/communicator.h"

namespace jobctl::trainer {

using EnvironmentLookup = std::function<std::optional<std::string>(std::string_view name)>;

Result<RendezvousConfig> RendezvousFromVariables(const EnvironmentLookup& lookup);

}  // namespace jobctl::trainer
