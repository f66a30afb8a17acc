// CrossEntropy: log-softmax + negative log-likelihood of the label, as
// torch.nn.CrossEntropyLoss (mean over the batch).
#pragma once

#include "trainer/losses/loss.h"

namespace jobctl::trainer {

class CrossEntropy : public Loss {
 public:
  float Compute(const Tensor& output, const int* labels, Tensor* grad) const override;
};

}  // namespace jobctl::trainer
