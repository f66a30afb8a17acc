#include "trainer/layers/sigmoid.h"

#include <cmath>

namespace jobctl::trainer {

void Sigmoid::Forward(const Tensor& in, Tensor* out, bool /*training*/) {
  out->Resize(in.batch, features_);
  const size_t n = in.size();
  for (size_t i = 0; i < n; ++i) out->data[i] = 1.0f / (1.0f + std::exp(-in.data[i]));
}

void Sigmoid::Backward(const Tensor& /*in*/, const Tensor& out, const Tensor& grad_out,
                       Tensor* grad_in) {
  if (grad_in == nullptr) return;
  grad_in->Resize(out.batch, features_);
  const size_t n = out.size();
  for (size_t i = 0; i < n; ++i) {
    float y = out.data[i];
    grad_in->data[i] = grad_out.data[i] * y * (1.0f - y);
  }
}

}  // namespace jobctl::trainer
