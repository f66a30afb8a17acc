#include "trainer/layers/dropout.h"

#include <algorithm>

namespace jobctl::trainer {

void Dropout::Forward(const Tensor& in, Tensor* out, bool training) {
  out->Resize(in.batch, features_);
  const size_t n = in.size();
  last_training_ = training && p_ > 0.0f;
  if (!last_training_) {
    std::copy(in.data.begin(), in.data.begin() + static_cast<long>(n), out->data.begin());
    return;
  }
  mask_.resize(n);
  const float scale = 1.0f / (1.0f - p_);
  for (size_t i = 0; i < n; ++i) mask_[i] = rng_->NextFloat() < p_ ? 0.0f : scale;
  for (size_t i = 0; i < n; ++i) out->data[i] = in.data[i] * mask_[i];
}

void Dropout::Backward(const Tensor& in, const Tensor& /*out*/, const Tensor& grad_out,
                       Tensor* grad_in) {
  if (grad_in == nullptr) return;
  grad_in->Resize(in.batch, features_);
  const size_t n = in.size();
  if (!last_training_) {
    std::copy(grad_out.data.begin(), grad_out.data.begin() + static_cast<long>(n),
              grad_in->data.begin());
    return;
  }
  for (size_t i = 0; i < n; ++i) grad_in->data[i] = grad_out.data[i] * mask_[i];
}

}  // namespace jobctl::trainer
