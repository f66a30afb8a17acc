#include "trainer/optimizers/sgd.h"

namespace jobctl::trainer {

Sgd::Sgd(float lr, float momentum, float dampening, bool nesterov, float weight_decay,
         size_t count)
    : lr_(lr),
      momentum_(momentum),
      dampening_(dampening),
      nesterov_(nesterov),
      weight_decay_(weight_decay) {
  if (momentum_ != 0.0f) momentum_buffer_.assign(count, 0.0f);
}

void Sgd::Step(float* params, const float* grads, size_t count) {
  const bool first = steps_ == 0;
  float* buf = momentum_buffer_.data();
  for (size_t i = 0; i < count; ++i) {
    float g = grads[i] + weight_decay_ * params[i];
    if (momentum_ != 0.0f) {
      buf[i] = first ? g : momentum_ * buf[i] + (1.0f - dampening_) * g;
      g = nesterov_ ? g + momentum_ * buf[i] : buf[i];
    }
    params[i] -= lr_ * g;
  }
  ++steps_;
}

std::vector<std::pair<std::string, std::vector<float>*>> Sgd::StateBuffers() {
  if (momentum_ == 0.0f) return {};
  return {{"momentum_buffer", &momentum_buffer_}};
}

}  // namespace jobctl::trainer
