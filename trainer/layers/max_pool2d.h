// MaxPool2d: square window, stride = window, no padding, floor mode, as
// torch.nn.MaxPool2d(k). Ties go to the first maximum in scan order.
#pragma once

#include <string>
#include <vector>

#include "trainer/layers/layer.h"

namespace jobctl::trainer {

class MaxPool2d : public Layer {
 public:
  MaxPool2d(int channels, int height, int width, int window);

  std::string Describe() const override;
  int in_features() const override { return channels_ * height_ * width_; }
  int out_features() const override { return channels_ * out_height() * out_width(); }
  int out_height() const { return height_ / window_; }
  int out_width() const { return width_ / window_; }
  void Forward(const Tensor& in, Tensor* out, bool training) override;
  void Backward(const Tensor& in, const Tensor& out, const Tensor& grad_out,
                Tensor* grad_in) override;

 private:
  // arg: per output, the index of its maximum (not written for window 2).
  void ForwardSample(const float* src, float* dst, int* arg) const;
  // Window 2: routes g to the first input equal to each output maximum.
  void BackwardSample2(const float* src, const float* max, const float* g, float* d) const;

  int channels_;
  int height_;
  int width_;
  int window_;
  std::vector<int> argmax_;  // window != 2: per output element, index into the input row
};

}  // namespace jobctl::trainer
