// Adam: torch.optim.Adam (amsgrad=False). With g = grad + weight_decay * p
// and t the step number from 1:
//   m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g^2
//   p -= (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
#pragma once

#include <vector>

#include "trainer/optimizers/optimizer.h"

namespace jobctl::trainer {

class Adam : public Optimizer {
 public:
  Adam(float lr, float beta1, float beta2, float eps, float weight_decay, size_t count);
  void Step(float* params, const float* grads, size_t count) override;
  std::vector<std::pair<std::string, std::vector<float>*>> StateBuffers() override;

 private:
  float lr_;
  float beta1_;
  float beta2_;
  float eps_;
  float weight_decay_;
  std::vector<float> exp_avg_;
  std::vector<float> exp_avg_sq_;
};

}  // namespace jobctl::trainer
