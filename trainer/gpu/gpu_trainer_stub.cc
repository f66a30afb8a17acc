// GpuTrainer when jobtrainer is built without the CUDA toolkit.
#include "trainer/gpu/gpu_trainer.h"

namespace jobctl::trainer {

Result<std::unique_ptr<GpuTrainer>> GpuTrainer::Create(const GpuTrainerConfig&, const Sequential&,
                                                       Optimizer*, const Dataset&, const Dataset&,
                                                       Pcg32*) {
  return FailedPreconditionError(
      "--device cuda: this jobtrainer was built without the CUDA "
      "toolkit; use --device cpu");
}

Result<std::unique_ptr<Communicator>> MakeHostStagingCommunicator(Communicator*) {
  return FailedPreconditionError("built without the CUDA toolkit");
}

}  // namespace jobctl::trainer
