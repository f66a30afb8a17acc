// GpuTrainer: what the training loop (train/train_loop.cc) asks of the GPU
// with --device cuda. The loop keeps its CPU Sequential and Optimizer as
// the host copies: initialisation, --resume, the rank-0 broadcast,
// checkpoints and model.safetensors all go through them, and Upload() /
// Download() move parameters and optimizer state between them and the GPU
// (at the start, and before each checkpoint).
//
// The training and validation sets are copied to the GPU once; a step
// sends only the sample indices. Gradients are averaged through the
// Communicator on device memory when it takes device pointers (NCCL), or
// through a host copy otherwise (Gloo); with one rank there is no copy.
//
// Built without the CUDA toolkit, Create() returns kFailedPrecondition.
// Thread-safety: not thread-safe; one thread.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "trainer/comm/communicator.h"
#include "trainer/data/dataset.h"
#include "trainer/model/model_spec.h"
#include "trainer/model/sequential.h"
#include "trainer/optimizers/optimizer.h"
#include "trainer/tensor/rng.h"
#include "trainer/train/evaluate.h"

namespace jobctl::trainer {

struct GpuTrainerConfig {
  ModelSpec spec;
  ModelOptions model_options;
  OptimizerConfig optimizer;
  std::string loss;  // cross_entropy | binary_cross_entropy | mse
  int local_batch = 64;
  int eval_batch = 256;
  int device = -1;  // CUDA device index; -1: LOCAL_RANK (0 if unset) modulo the device count
};

class GpuTrainer {
 public:
  virtual ~GpuTrainer() = default;

  // Uploads the data sets and allocates the model for `model` (built from
  // config.spec) and `optimizer`; call Upload() before the first step.
  // dropout_rng must outlive the trainer.
  static Result<std::unique_ptr<GpuTrainer>> Create(const GpuTrainerConfig& config,
                                                    const Sequential& model, Optimizer* optimizer,
                                                    const Dataset& train, const Dataset& val,
                                                    Pcg32* dropout_rng);

  // Host -> GPU: parameters and optimizer state (and step count).
  virtual Status Upload(const Sequential& model, Optimizer* optimizer) = 0;
  // GPU -> host, for a checkpoint or the model file.
  virtual Status Download(Sequential* model, Optimizer* optimizer) = 0;

  // Forward pass and loss of training samples `indices[0, n)`; returns the
  // mean loss (waits for it).
  virtual Result<float> ForwardLoss(const int* indices, int n) = 0;
  // Backward pass of the last ForwardLoss, gradient average over `comm`,
  // optimizer step.
  virtual Status BackwardAndStep(Communicator* comm) = 0;

  // Loss and accuracy over the whole validation set (evaluation mode).
  virtual Result<EvalResult> Evaluate(float threshold) = 0;
};

// A Communicator on host pointers over one on device pointers (NCCL): each
// collective copies through a device buffer. For the loop's small host
// collectives (resume epoch, initial weights, epoch loss) when the gradient
// communicator is NCCL. kFailedPrecondition when built without CUDA.
Result<std::unique_ptr<Communicator>> MakeHostStagingCommunicator(Communicator* device_comm);

}  // namespace jobctl::trainer
