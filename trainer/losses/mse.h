// MeanSquaredError: mean over batch and outputs of (output - target)^2, as
// torch.nn.MSELoss.
#pragma once

#include "trainer/losses/loss.h"

namespace jobctl::trainer {

class MeanSquaredError : public Loss {
 public:
  float Compute(const Tensor& output, const int* labels, Tensor* grad) const override;
};

}  // namespace jobctl::trainer
