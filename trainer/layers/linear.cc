#include "trainer/layers/linear.h"

#include <cmath>

#include "trainer/tensor/blas.h"
#include "trainer/tensor/thread_pool.h"

namespace jobctl::trainer {
namespace {

// Inputs with at most this fraction of nonzeros take the sparse kernels: a
// sparse multiply-add costs about as much as a dense one, plus the indexing.
constexpr double kMaxSparseDensity = 0.5;
// Columns per thread below which a sparse product is not split.
constexpr int kMinSparseColumnsPerThread = 64;
// Multiply-adds per GEMM below which the backward pass's two GEMMs are not
// worth a thread each.
constexpr int64_t kMinTaskMacs = 1 << 20;

}  // namespace

Linear::Linear(int in, int out, const std::string& prefix, ParameterBuffer* params)
    : in_(in), out_(out), params_(params) {
  weight_offset_ = params->Reserve(prefix + ".weight", {out, in}, /*transposed=*/true);
  bias_offset_ = params->Reserve(prefix + ".bias", {out});
}

std::string Linear::Describe() const {
  return "Linear(" + std::to_string(in_) + ", " + std::to_string(out_) + ")";
}

void Linear::Initialize(Pcg32* rng) {
  // kaiming_uniform_(a=sqrt(5)): gain = sqrt(2 / (1 + 5)), bound =
  // gain * sqrt(3 / fan_in) = 1 / sqrt(fan_in); the bias uses the same bound.
  // Drawn in W's [out, in] order, stored transposed.
  float bound = 1.0f / std::sqrt(static_cast<float>(in_));
  float* wt = params_->values() + weight_offset_;
  for (int o = 0; o < out_; ++o) {
    for (int i = 0; i < in_; ++i)
      wt[static_cast<size_t>(i) * out_ + o] = rng->Uniform(-bound, bound);
  }
  float* b = params_->values() + bias_offset_;
  for (int i = 0; i < out_; ++i) b[i] = rng->Uniform(-bound, bound);
}

void Linear::Forward(const Tensor& in, Tensor* out, bool /*training*/) {
  out->Resize(in.batch, out_);
  const float* wt = params_->values() + weight_offset_;
  const float* b = params_->values() + bias_offset_;
  // Count first: a dense input (ReLU outputs, most steps) skips building
  // the sparse form.
  const int64_t nonzeros = CountNonzeros(in.data.data(), in.batch, in_, in_);
  sparse_input_ = in.batch == 0 || in_ == 0 ||
                  static_cast<double>(nonzeros) / in.batch / in_ <= kMaxSparseDensity;
  if (sparse_input_) {
    input_rows_.FromDense(in.data.data(), in.batch, in_, in_);
    ParallelFor(out_, 16, kMinSparseColumnsPerThread, [&](int64_t begin, int64_t end) {
      SparseTimesDense(input_rows_, wt, out_, b, out->data.data(), out_, static_cast<int>(begin),
                       static_cast<int>(end));
    });
    return;
  }
  GemmBias(in.batch, out_, in_, in.data.data(), in_, wt, out_, b, out->data.data(), out_);
}

void Linear::Backward(const Tensor& in, const Tensor& /*out*/, const Tensor& grad_out,
                      Tensor* grad_in) {
  float* dwt = params_->grads() + weight_offset_;
  float* db = params_->grads() + bias_offset_;
  const float* wt = params_->values() + weight_offset_;
  // db[begin, end) = the sum of dY's rows, over those columns.
  auto bias_gradient = [&](int begin, int end) {
    for (int o = begin; o < end; ++o) db[o] = 0.0f;
    for (int n = 0; n < in.batch; ++n) {
      const float* g = grad_out.row(n);
      for (int o = begin; o < end; ++o) db[o] += g[o];
    }
  };
  if (grad_in != nullptr) grad_in->Resize(in.batch, in_);
  if (grad_in != nullptr && !sparse_input_ && ComputePool().size() == 2 &&
      static_cast<int64_t>(in.batch) * in_ * out_ >= kMinTaskMacs) {
    // Two threads, two independent GEMMs of the same size: one each, whole,
    // which beats splitting each across both (no duplicated packing).
    ParallelInvoke(
        [&] {
          GemmSerial(false, true, in.batch, in_, out_, 1.0f, grad_out.data.data(), out_, wt, out_,
                     0.0f, grad_in->data.data(), in_);
        },
        [&] {
          GemmSerial(true, false, in_, out_, in.batch, 1.0f, in.data.data(), in_,
                     grad_out.data.data(), out_, 0.0f, dwt, out_);
          bias_gradient(0, out_);
        });
    return;
  }
  // dW^T [in, out] = X^T [in, n] * dY [n, out]
  if (sparse_input_) {
    input_columns_.TransposeOf(input_rows_);
    ParallelFor(out_, 16, kMinSparseColumnsPerThread, [&](int64_t begin, int64_t end) {
      SparseTimesDense(input_columns_, grad_out.data.data(), out_, nullptr, dwt, out_,
                       static_cast<int>(begin), static_cast<int>(end));
      bias_gradient(static_cast<int>(begin), static_cast<int>(end));
    });
  } else {
    Gemm(true, false, in_, out_, in.batch, 1.0f, in.data.data(), in_, grad_out.data.data(), out_,
         0.0f, dwt, out_);
    bias_gradient(0, out_);
  }
  if (grad_in != nullptr) {
    // dX [n, in] = dY [n, out] * W [out, in], W = (W^T)^T
    Gemm(false, true, in.batch, in_, out_, 1.0f, grad_out.data.data(), out_, wt, out_, 0.0f,
         grad_in->data.data(), in_);
  }
}

}  // namespace jobctl::trainer
