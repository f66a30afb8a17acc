#include "trainer/optimizers/adam.h"

#include <cmath>

namespace jobctl::trainer {

Adam::Adam(float lr, float beta1, float beta2, float eps, float weight_decay, size_t count)
    : lr_(lr),
      beta1_(beta1),
      beta2_(beta2),
      eps_(eps),
      weight_decay_(weight_decay),
      exp_avg_(count, 0.0f),
      exp_avg_sq_(count, 0.0f) {}

void Adam::Step(float* params, const float* grads, size_t count) {
  ++steps_;
  const double t = static_cast<double>(steps_);
  const float bias_correction1 = static_cast<float>(1.0 - std::pow(double{beta1_}, t));
  const float bias_correction2 = static_cast<float>(1.0 - std::pow(double{beta2_}, t));
  const float step_size = lr_ / bias_correction1;
  const float inv_sqrt_bc2 = 1.0f / std::sqrt(bias_correction2);
  const float b1 = beta1_;
  const float b2 = beta2_;
  const float wd = weight_decay_;
  const float eps = eps_;
  float* m = exp_avg_.data();
  float* v = exp_avg_sq_.data();
  for (size_t i = 0; i < count; ++i) {
    const float g = grads[i] + wd * params[i];
    m[i] = b1 * m[i] + (1.0f - b1) * g;
    v[i] = b2 * v[i] + (1.0f - b2) * g * g;
    const float denom = std::sqrt(v[i]) * inv_sqrt_bc2 + eps;
    params[i] -= step_size * m[i] / denom;
  }
}

std::vector<std::pair<std::string, std::vector<float>*>> Adam::StateBuffers() {
  return {{"exp_avg", &exp_avg_}, {"exp_avg_sq", &exp_avg_sq_}};
}

}  // namespace jobctl::trainer
