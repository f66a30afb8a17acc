// Optimizer: updates a flat parameter buffer from its gradient buffer with
// PyTorch's update rules (torch.optim, 1.13 semantics, foreach=False).
//
// State (momentum, moments, accumulators) is kept in named flat buffers of
// the same length as the parameters, plus a step counter, so a checkpoint
// saves and restores it exactly.
//
// Thread-safety: not thread-safe; one owner.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace jobctl::trainer {

struct OptimizerConfig {
  std::string name = "adam";       // sgd | adam | adadelta
  std::optional<float> lr;         // default: sgd 0.01, adam 1e-3, adadelta 1.0
  float momentum = 0.0f;           // sgd
  float dampening = 0.0f;          // sgd
  bool nesterov = false;           // sgd
  float weight_decay = 0.0f;       // all
  float beta1 = 0.9f;              // adam
  float beta2 = 0.999f;            // adam
  std::optional<float> eps;        // default: adam 1e-8, adadelta 1e-6
  float rho = 0.9f;                // adadelta
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;

  // One update of params[0, count) from grads[0, count).
  // Precondition: count equals the size given at creation.
  virtual void Step(float* params, const float* grads, size_t count) = 0;

  // Named state buffers, each of the parameter count; for checkpoints.
  virtual std::vector<std::pair<std::string, std::vector<float>*>> StateBuffers() = 0;

  int64_t steps() const { return steps_; }
  void set_steps(int64_t steps) { steps_ = steps; }

 protected:
  int64_t steps_ = 0;
};

// kInvalidArgument naming the bad option for an unknown name or a bad value.
Result<std::unique_ptr<Optimizer>> CreateOptimizer(const OptimizerConfig& config,
                                                   size_t parameter_count);

}  // namespace jobctl::trainer
