#include "trainer/layers/tanh.h"

#include <cmath>

namespace jobctl::trainer {

void Tanh::Forward(const Tensor& in, Tensor* out, bool /*training*/) {
  out->Resize(in.batch, features_);
  const size_t n = in.size();
  for (size_t i = 0; i < n; ++i) out->data[i] = std::tanh(in.data[i]);
}

void Tanh::Backward(const Tensor& /*in*/, const Tensor& out, const Tensor& grad_out,
                    Tensor* grad_in) {
  if (grad_in == nullptr) return;
  grad_in->Resize(out.batch, features_);
  const size_t n = out.size();
  for (size_t i = 0; i < n; ++i) {
    float y = out.data[i];
    grad_in->data[i] = grad_out.data[i] * (1.0f - y * y);
  }
}

}  // namespace jobctl::trainer
