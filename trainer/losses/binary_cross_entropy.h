// BinaryCrossEntropy: sigmoid + binary cross-entropy per output element, as
// torch.nn.BCEWithLogitsLoss (mean over batch and outputs), computed in the
// numerically stable form max(x, 0) - x t + log(1 + exp(-|x|)).
#pragma once

#include "trainer/losses/loss.h"

namespace jobctl::trainer {

class BinaryCrossEntropy : public Loss {
 public:
  float Compute(const Tensor& output, const int* labels, Tensor* grad) const override;
};

}  // namespace jobctl::trainer
