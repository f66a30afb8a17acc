#include "trainer/optimizers/sgd.h"

namespace jobctl::trainer {

Sgd::Sgd(float lr, float momentum, float dampening, bool nesterov, float weight_decay, size_t count)
    : lr_(lr),
      momentum_(momentum),
      dampening_(dampening),
      nesterov_(nesterov),
      weight_decay_(weight_decay) {
  if (momentum_ != 0.0f) momentum_buffer_.assign(count, 0.0f);
}

void Sgd::BeginStep() {
  first_step_ = steps_ == 0;
  ++steps_;
}

void Sgd::UpdateRange(float* params, const float* grads, size_t offset, size_t count) {
  float* buf = momentum_buffer_.data() + (momentum_ != 0.0f ? offset : 0);
  for (size_t i = 0; i < count; ++i) {
    float g = grads[i] + weight_decay_ * params[i];
    if (momentum_ != 0.0f) {
      buf[i] = first_step_ ? g : momentum_ * buf[i] + (1.0f - dampening_) * g;
      g = nesterov_ ? g + momentum_ * buf[i] : buf[i];
    }
    params[i] -= lr_ * g;
  }
}

std::vector<std::pair<std::string, std::vector<float>*>> Sgd::StateBuffers() {
  if (momentum_ == 0.0f) return {};
  return {{"momentum_buffer", &momentum_buffer_}};
}

}  // namespace jobctl::trainer
