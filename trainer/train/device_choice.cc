#include "trainer/train/device_choice.h"

#include <ostream>

#include "trainer/train/communicator_factory.h"

#if JOBCTL_TRAINER_HAVE_COMM
#include "trainer/comm/nccl_communicator.h"
#include "trainer/cuda/device.h"
#endif

namespace jobctl::trainer {
namespace {

// Why the GPU path cannot run here; empty when it can.
std::string NoGpuReason() {
#if JOBCTL_TRAINER_HAVE_COMM
  if (!cuda::BuiltWithCuda()) return "this jobtrainer was built without the CUDA toolkit";
  if (cuda::CudaDeviceCount() == 0) return "no usable CUDA GPU: " + cuda::NoCudaDeviceReason();
  return "";
#else
  return "this jobtrainer was built without the CUDA toolkit";
#endif
}

}  // namespace

Result<std::string> ResolveDevice(const std::string& device) {
  if (device == "cpu") return std::string("cpu");
  const std::string reason = NoGpuReason();
  if (device == "auto") return std::string(reason.empty() ? "cuda" : "cpu");
  if (device == "cuda") {
    if (!reason.empty()) {
      return InvalidArgumentError("--device cuda: " + reason + " (use --device cpu or auto)");
    }
    return std::string("cuda");
  }
  return InvalidArgumentError("--device: unknown device \"" + device +
                              "\" (expected cpu, cuda or auto)");
}

Result<std::unique_ptr<Communicator>> MakeCommunicatorForDevice(const std::string& device,
                                                                std::ostream& log) {
#if JOBCTL_TRAINER_HAVE_COMM
  if (device == "cuda") {
    JOBCTL_ASSIGN_OR_RETURN(RendezvousConfig config, RendezvousFromEnvironment());
    if (config.world_size > 1) {
      auto nccl = CreateNcclCommunicator(config);
      if (nccl.ok() || nccl.status().code() != StatusCode::kFailedPrecondition) return nccl;
      log << "jobtrainer: " << nccl.status().message()
          << "; averaging gradients through host copies and Gloo" << std::endl;
    }
  }
#else
  (void)device;
  (void)log;
#endif
  return MakeCommunicator();
}

}  // namespace jobctl::trainer
