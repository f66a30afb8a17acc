#include "trainer/layers/linear.h"

#include <algorithm>
#include <cmath>

#include "trainer/optimizers/optimizer.h"
#include "trainer/tensor/blas.h"
#include "trainer/tensor/thread_pool.h"
#include "trainer/tensor/thread_scratch.h"

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
// BackwardAndUpdate's blocks of W^T: about this many weights each (a
// gradient tile that stays in cache), a multiple of 16 rows.
constexpr int64_t kBlockWeights = 1 << 15;
// ThreadScratch slots (the convolution layers use 0-6).
constexpr int kGradientTileSlot = 7;

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

void Linear::BackwardAndUpdate(const Tensor& in, const Tensor& /*out*/, const Tensor& grad_out,
                               Tensor* grad_in, Optimizer* optimizer) {
  float* wt = params_->values() + weight_offset_;
  const int batch = in.batch;
  const float* dy = grad_out.data.data();
  if (grad_in != nullptr) grad_in->Resize(batch, in_);
  if (sparse_input_) input_columns_.TransposeOf(input_rows_);
  const int block_rows = static_cast<int>(
      std::min<int64_t>(in_, std::max<int64_t>(16, kBlockWeights / std::max(out_, 1) / 16 * 16)));
  const int blocks = (in_ + block_rows - 1) / block_rows;
  // Index `blocks` is the bias, whose gradient is the sum of dY's rows.
  ComputePool().Run(
      [&](int index, int /*count*/) {
        if (index == blocks) {
          float* db = ThreadScratch(kGradientTileSlot, static_cast<size_t>(out_));
          for (int o = 0; o < out_; ++o) db[o] = 0.0f;
          for (int n = 0; n < batch; ++n) {
            const float* g = grad_out.row(n);
            for (int o = 0; o < out_; ++o) db[o] += g[o];
          }
          optimizer->UpdateRange(params_->values() + bias_offset_, db, bias_offset_,
                                 static_cast<size_t>(out_));
          return;
        }
        const int first = index * block_rows;
        const int rows = std::min(block_rows, in_ - first);
        float* block = wt + static_cast<int64_t>(first) * out_;
        if (grad_in != nullptr) {
          // dX[:, first + rows) = dY W[:, those) = dY (rows of W^T)^T
          GemmSerial(false, true, batch, rows, out_, 1.0f, dy, out_, block, out_, 0.0f,
                     grad_in->data.data() + first, in_);
        }
        float* dwt = ThreadScratch(kGradientTileSlot, static_cast<size_t>(rows) * out_);
        if (sparse_input_) {
          SparseRowsTimesDense(input_columns_, first, first + rows, dy, out_, out_, dwt, out_);
        } else {
          // dW^T rows = X[:, rows]^T dY
          GemmSerial(true, false, rows, out_, batch, 1.0f, in.data.data() + first, in_, dy, out_,
                     0.0f, dwt, out_);
        }
        optimizer->UpdateRange(block, dwt, weight_offset_ + static_cast<size_t>(first) * out_,
                               static_cast<size_t>(rows) * out_);
      },
      blocks + 1);
}

}  // namespace jobctl::trainer
