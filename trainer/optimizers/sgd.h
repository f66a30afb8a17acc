// Sgd: torch.optim.SGD. With g = grad + weight_decay * p:
//   momentum != 0: buf = g on the first step, else momentum*buf + (1-dampening)*g;
//                  g = nesterov ? g + momentum*buf : buf
//   p -= lr * g
#pragma once

#include <vector>

#include "trainer/optimizers/optimizer.h"

namespace jobctl::trainer {

class Sgd : public Optimizer {
 public:
  Sgd(float lr, float momentum, float dampening, bool nesterov, float weight_decay, size_t count);
  void Step(float* params, const float* grads, size_t count) override;
  std::vector<std::pair<std::string, std::vector<float>*>> StateBuffers() override;

 private:
  float lr_;
  float momentum_;
  float dampening_;
  bool nesterov_;
  float weight_decay_;
  std::vector<float> momentum_buffer_;
};

}  // namespace jobctl::trainer
