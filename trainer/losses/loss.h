// Loss: a scalar loss over a batch of model outputs and integer labels, and
// its gradient with respect to the outputs.
//
// Targets: cross_entropy takes class indices. binary_cross_entropy and mse
// take one-hot targets built from the labels when the model has several
// outputs, or the label itself (0/1, or a value) when it has one output.
// binary_cross_entropy applies the sigmoid itself (as
// torch.nn.BCEWithLogitsLoss), so models end in a Linear layer for every
// loss. All losses use the mean reduction, as PyTorch does by default.
//
// Thread-safety: implementations hold no state between calls.
#pragma once

#include <memory>
#include <string_view>

#include "common/status.h"
#include "trainer/tensor/tensor.h"

namespace jobctl::trainer {

class Loss {
 public:
  virtual ~Loss() = default;
  // Returns the mean loss; writes dLoss/dOutput into grad (resized).
  // Precondition: labels has output.batch entries, each in [0, features)
  // when features > 1.
  virtual float Compute(const Tensor& output, const int* labels, Tensor* grad) const = 0;
};

// "cross_entropy", "binary_cross_entropy", "mse".
Result<std::unique_ptr<Loss>> CreateLoss(std::string_view name);

// Target of output column j for label `label` (one-hot, or the label itself
// for a single output). Shared by the losses that take dense targets.
inline float DenseTarget(int label, int j, int features) {
  if (features == 1) return static_cast<float>(label);
  return label == j ? 1.0f : 0.0f;
}

}  // namespace jobctl::trainer
