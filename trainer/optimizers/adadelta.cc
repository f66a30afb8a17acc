#include "trainer/optimizers/adadelta.h"

#include <cmath>

namespace jobctl::trainer {

Adadelta::Adadelta(float lr, float rho, float eps, float weight_decay, size_t count)
    : lr_(lr),
      rho_(rho),
      eps_(eps),
      weight_decay_(weight_decay),
      square_avg_(count, 0.0f),
      acc_delta_(count, 0.0f) {}

void Adadelta::Step(float* params, const float* grads, size_t count) {
  float* sq = square_avg_.data();
  float* acc = acc_delta_.data();
  for (size_t i = 0; i < count; ++i) {
    const float g = grads[i] + weight_decay_ * params[i];
    sq[i] = rho_ * sq[i] + (1.0f - rho_) * g * g;
    const float delta = std::sqrt(acc[i] + eps_) / std::sqrt(sq[i] + eps_) * g;
    acc[i] = rho_ * acc[i] + (1.0f - rho_) * delta * delta;
    params[i] -= lr_ * delta;
  }
  ++steps_;
}

std::vector<std::pair<std::string, std::vector<float>*>> Adadelta::StateBuffers() {
  return {{"square_avg", &square_avg_}, {"acc_delta", &acc_delta_}};
}

}  // namespace jobctl::trainer
