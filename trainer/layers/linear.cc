#include "trainer/layers/linear.h"

#include <cmath>

#include "trainer/tensor/blas.h"

namespace jobctl::trainer {

Linear::Linear(int in, int out, const std::string& prefix, ParameterBuffer* params)
    : in_(in), out_(out), params_(params) {
  weight_offset_ = params->Reserve(prefix + ".weight", {out, in});
  bias_offset_ = params->Reserve(prefix + ".bias", {out});
}

std::string Linear::Describe() const {
  return "Linear(" + std::to_string(in_) + ", " + std::to_string(out_) + ")";
}

void Linear::Initialize(Pcg32* rng) {
  // kaiming_uniform_(a=sqrt(5)): gain = sqrt(2 / (1 + 5)), bound =
  // gain * sqrt(3 / fan_in) = 1 / sqrt(fan_in); the bias uses the same bound.
  float bound = 1.0f / std::sqrt(static_cast<float>(in_));
  float* w = params_->values() + weight_offset_;
  for (int i = 0; i < in_ * out_; ++i) w[i] = rng->Uniform(-bound, bound);
  float* b = params_->values() + bias_offset_;
  for (int i = 0; i < out_; ++i) b[i] = rng->Uniform(-bound, bound);
}

void Linear::Forward(const Tensor& in, Tensor* out, bool /*training*/) {
  out->Resize(in.batch, out_);
  const float* w = params_->values() + weight_offset_;
  const float* b = params_->values() + bias_offset_;
  for (int n = 0; n < in.batch; ++n) {
    float* row = out->row(n);
    for (int o = 0; o < out_; ++o) row[o] = b[o];
  }
  Gemm(false, true, in.batch, out_, in_, 1.0f, in.data.data(), in_, w, in_, 1.0f,
       out->data.data(), out_);
}

void Linear::Backward(const Tensor& in, const Tensor& /*out*/, const Tensor& grad_out,
                      Tensor* grad_in) {
  float* dw = params_->grads() + weight_offset_;
  float* db = params_->grads() + bias_offset_;
  // dW[out, in] = dY^T [out, n] * X [n, in]
  Gemm(true, false, out_, in_, in.batch, 1.0f, grad_out.data.data(), out_, in.data.data(), in_,
       0.0f, dw, in_);
  for (int o = 0; o < out_; ++o) db[o] = 0.0f;
  for (int n = 0; n < in.batch; ++n) {
    const float* g = grad_out.row(n);
    for (int o = 0; o < out_; ++o) db[o] += g[o];
  }
  if (grad_in != nullptr) {
    grad_in->Resize(in.batch, in_);
    const float* w = params_->values() + weight_offset_;
    Gemm(false, false, in.batch, in_, out_, 1.0f, grad_out.data.data(), out_, w, in_, 0.0f,
         grad_in->data.data(), in_);
  }
}

}  // namespace jobctl::trainer
