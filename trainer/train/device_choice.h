// --device: which device a training run uses, and the communicator for it.
//
//   cpu    the CPU path
//   cuda   the GPU path; kInvalidArgument (exit status 2) naming the reason
//          when this machine has no usable GPU or the build has no CUDA
//   auto   cuda when a GPU is usable, else cpu
//
// Thread-safety: call from one thread.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "trainer/comm/communicator.h"

namespace jobctl::trainer {

// "cpu" or "cuda".
Result<std::string> ResolveDevice(const std::string& device);

// The communicator for a resolved device: cpu as MakeCommunicator(); cuda
// with several ranks NCCL (device pointers) when this build has it and it
// starts, else Gloo (the GPU path then averages through host copies),
// with a note on `log`.
Result<std::unique_ptr<Communicator>> MakeCommunicatorForDevice(const std::string& device,
                                                                std::ostream& log);

}  // namespace jobctl::trainer
