// Adadelta: torch.optim.Adadelta. With g = grad + weight_decay * p:
//   sq = rho*sq + (1-rho)*g^2
//   delta = sqrt(acc + eps) / sqrt(sq + eps) * g
//   acc = rho*acc + (1-rho)*delta^2
//   p -= lr * delta
#pragma once

#include <vector>

#include "trainer/optimizers/optimizer.h"

namespace jobctl::trainer {

class Adadelta : public Optimizer {
 public:
  Adadelta(float lr, float rho, float eps, float weight_decay, size_t count);
  void Step(float* params, const float* grads, size_t count) override;
  std::vector<std::pair<std::string, std::vector<float>*>> StateBuffers() override;

 private:
  float lr_;
  float rho_;
  float eps_;
  float weight_decay_;
  std::vector<float> square_avg_;
  std::vector<float> acc_delta_;
};

}  // namespace jobctl::trainer
