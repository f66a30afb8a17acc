#include "trainer/layers/relu.h"

#include "trainer/tensor/thread_pool.h"

namespace jobctl::trainer {
namespace {

// Elements per thread below which splitting costs more than it saves.
constexpr int64_t kMinPerThread = 1 << 13;

}  // namespace

void ReLU::Forward(const Tensor& in, Tensor* out, bool /*training*/) {
  out->Resize(in.batch, features_);
  const float* x = in.data.data();
  float* y = out->data.data();
  const size_t n = in.size();
  ParallelFor(static_cast<int64_t>(n), 64, kMinPerThread, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
  });
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
  ParallelFor(static_cast<int64_t>(n), 64, kMinPerThread, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const float gi = g[i];
      const float yi = y[i];
      d[i] = yi > 0.0f ? gi : 0.0f;
    }
  });
}

}  // namespace jobctl::trainer
