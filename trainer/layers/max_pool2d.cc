#include "trainer/layers/max_pool2d.h"

#include <algorithm>

namespace jobctl::trainer {

MaxPool2d::MaxPool2d(int channels, int height, int width, int window)
    : channels_(channels), height_(height), width_(width), window_(window) {}

std::string MaxPool2d::Describe() const {
  return "MaxPool2d(kernel_size=" + std::to_string(window_) + ")";
}

void MaxPool2d::Forward(const Tensor& in, Tensor* out, bool /*training*/) {
  const int oh = out_height();
  const int ow = out_width();
  const int of = out_features();
  out->Resize(in.batch, of);
  argmax_.resize(static_cast<size_t>(in.batch) * of);
  for (int n = 0; n < in.batch; ++n) {
    const float* src = in.row(n);
    float* dst = out->row(n);
    int* arg = argmax_.data() + static_cast<size_t>(n) * of;
    for (int c = 0; c < channels_; ++c) {
      for (int oy = 0; oy < oh; ++oy) {
        for (int ox = 0; ox < ow; ++ox) {
          int best = (c * height_ + oy * window_) * width_ + ox * window_;
          float best_value = src[best];
          for (int i = 0; i < window_; ++i) {
            for (int j = 0; j < window_; ++j) {
              int idx = (c * height_ + oy * window_ + i) * width_ + ox * window_ + j;
              if (src[idx] > best_value) {
                best_value = src[idx];
                best = idx;
              }
            }
          }
          int o = (c * oh + oy) * ow + ox;
          dst[o] = best_value;
          arg[o] = best;
        }
      }
    }
  }
}

void MaxPool2d::Backward(const Tensor& in, const Tensor& /*out*/, const Tensor& grad_out,
                         Tensor* grad_in) {
  if (grad_in == nullptr) return;
  const int of = out_features();
  grad_in->Resize(in.batch, in_features());
  std::fill(grad_in->data.begin(), grad_in->data.begin() + static_cast<long>(grad_in->size()),
            0.0f);
  for (int n = 0; n < in.batch; ++n) {
    const float* g = grad_out.row(n);
    float* d = grad_in->row(n);
    const int* arg = argmax_.data() + static_cast<size_t>(n) * of;
    for (int o = 0; o < of; ++o) d[arg[o]] += g[o];
  }
}

}  // namespace jobctl::trainer
