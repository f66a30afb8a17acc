#include "trainer/layers/max_pool2d.h"

#include <algorithm>

#include "trainer/tensor/thread_pool.h"

namespace jobctl::trainer {

MaxPool2d::MaxPool2d(int channels, int height, int width, int window)
    : channels_(channels), height_(height), width_(width), window_(window) {}

std::string MaxPool2d::Describe() const {
  return "MaxPool2d(kernel_size=" + std::to_string(window_) + ")";
}

void MaxPool2d::ForwardSample(const float* src, float* dst, int* arg) const {
  const int oh = out_height();
  const int ow = out_width();
  std::vector<float> row_max(static_cast<size_t>(width_));
  for (int c = 0; c < channels_; ++c) {
    for (int oy = 0; oy < oh; ++oy) {
      const int top = (c * height_ + oy * window_) * width_;
      int o = (c * oh + oy) * ow;
      if (window_ == 2) {
        // Only the values: Backward finds the first maximum again.
        const float* t = src + top;
        const float* u = t + width_;
        for (int x = 0; x < 2 * ow; ++x) row_max[x] = std::max(t[x], u[x]);
        for (int ox = 0; ox < ow; ++ox)
          dst[o + ox] = std::max(row_max[2 * ox], row_max[2 * ox + 1]);
        continue;
      }
      for (int ox = 0; ox < ow; ++ox, ++o) {
        int best = top + ox * window_;
        float best_value = src[best];
        for (int i = 0; i < window_; ++i) {
          for (int j = 0; j < window_; ++j) {
            int idx = top + i * width_ + ox * window_ + j;
            if (src[idx] > best_value) {
              best_value = src[idx];
              best = idx;
            }
          }
        }
        dst[o] = best_value;
        arg[o] = best;
      }
    }
  }
}

void MaxPool2d::Forward(const Tensor& in, Tensor* out, bool /*training*/) {
  const int of = out_features();
  out->Resize(in.batch, of);
  if (window_ != 2) argmax_.resize(static_cast<size_t>(in.batch) * of);
  ParallelFor(in.batch, 1, 4, [&](int64_t begin, int64_t end) {
    for (int64_t n = begin; n < end; ++n) {
      ForwardSample(in.row(static_cast<int>(n)), out->row(static_cast<int>(n)),
                    window_ == 2 ? nullptr : argmax_.data() + static_cast<size_t>(n) * of);
    }
  });
}

void MaxPool2d::Backward(const Tensor& in, const Tensor& out, const Tensor& grad_out,
                         Tensor* grad_in) {
  if (grad_in == nullptr) return;
  const int of = out_features();
  const int in_f = in_features();
  grad_in->Resize(in.batch, in_f);
  ParallelFor(in.batch, 1, 4, [&](int64_t begin, int64_t end) {
    for (int64_t n = begin; n < end; ++n) {
      const float* g = grad_out.row(static_cast<int>(n));
      float* d = grad_in->row(static_cast<int>(n));
      std::fill(d, d + in_f, 0.0f);
      if (window_ == 2) {
        BackwardSample2(in.row(static_cast<int>(n)), out.row(static_cast<int>(n)), g, d);
        continue;
      }
      const int* arg = argmax_.data() + static_cast<size_t>(n) * of;
      for (int o = 0; o < of; ++o) d[arg[o]] += g[o];
    }
  });
}

void MaxPool2d::BackwardSample2(const float* src, const float* max, const float* g,
                                float* d) const {
  const int oh = out_height();
  const int ow = out_width();
  // Which of the four is the first equal to the maximum, from the equality
  // bits of the first three (bit 0: (0,0), bit 1: (0,1), bit 2: (1,0)):
  // table lookups instead of branches that the data would mispredict.
  static constexpr int kFirst[8] = {3, 0, 1, 0, 2, 0, 1, 0};
  const int offset[4] = {0, 1, width_, width_ + 1};
  for (int c = 0; c < channels_; ++c) {
    for (int oy = 0; oy < oh; ++oy) {
      const int top = (c * height_ + oy * 2) * width_;
      const int o = (c * oh + oy) * ow;
      for (int ox = 0; ox < ow; ++ox) {
        const int i = top + 2 * ox;
        const float m = max[o + ox];
        const int bits = static_cast<int>(src[i] == m) | (static_cast<int>(src[i + 1] == m) << 1) |
                         (static_cast<int>(src[i + width_] == m) << 2);
        d[i + offset[kFirst[bits]]] = g[o + ox];
      }
    }
  }
}

}  // namespace jobctl::trainer
