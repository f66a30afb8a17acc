#include "trainer/layers/relu.h"

namespace jobctl::trainer {

void ReLU::Forward(const Tensor& in, Tensor* out, bool /*training*/) {
  out->Resize(in.batch, features_);
  const float* x = in.data.data();
  float* y = out->data.data();
  const size_t n = in.size();
  for (size_t i = 0; i < n; ++i) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void ReLU::Backward(const Tensor& /*in*/, const Tensor& out, const Tensor& grad_out,
                    Tensor* grad_in) {
  if (grad_in == nullptr) return;
  grad_in->Resize(out.batch, features_);
  const float* y = out.data.data();
  const float* g = grad_out.data.data();
  float* d = grad_in->data.data();
  const size_t n = out.size();
  // Both loads unconditional so the select vectorises (no branch per element).
  for (size_t i = 0; i < n; ++i) {
    const float gi = g[i];
    const float yi = y[i];
    d[i] = yi > 0.0f ? gi : 0.0f;
  }
}

}  // namespace jobctl::trainer
