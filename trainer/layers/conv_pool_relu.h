// ConvPoolReLU: a Conv2d followed by 2x2 max pooling and ReLU, as one
// layer: a block of the CNN (torch's Conv2d, ReLU, MaxPool2d(2); max pooling
// commutes with ReLU, values and gradients alike, so pooling runs first and
// ReLU sees a quarter of the values).
//
// Per sample, the convolution output goes to a per-thread scratch that stays
// in cache and is pooled from there; only the pooled output and, per pooled
// value, which of its window's four inputs won (or that ReLU cut it) are
// kept for Backward. Backward visits only the winning pixels
// (sparse_conv_backward.h): at most a quarter of a dense backward's work.
// For a single-channel 3x3 convolution with stride 1 and no padding (the
// first layer) on AVX-512 and without input gradient, it computes the weight
// gradient from the pooled gradient over stride-2 phase planes of the input
// instead. The full-size convolution output and its gradient never go to
// memory.
//
// Parameters are those of the convolution (Conv2d's names and layout); the
// layer stands for three modules of torch's Sequential. Gradients are summed
// per fixed group of samples and the groups added in order, so results do
// not depend on the thread count.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "trainer/layers/conv2d.h"
#include "trainer/layers/layer.h"

namespace jobctl::trainer {

class ConvPoolReLU : public Layer {
 public:
  // Precondition: the geometry gives a positive output size.
  ConvPoolReLU(const ConvGeometry& geometry, const std::string& prefix, ParameterBuffer* params);

  std::string Describe() const override;
  int in_features() const override { return conv_.in_features(); }
  int out_features() const override {
    return conv_.geometry().out_channels * pooled_height() * pooled_width();
  }
  int pooled_height() const { return conv_.geometry().out_height() / 2; }
  int pooled_width() const { return conv_.geometry().out_width() / 2; }
  void Forward(const Tensor& in, Tensor* out, bool training) override;
  void Backward(const Tensor& in, const Tensor& out, const Tensor& grad_out,
                Tensor* grad_in) override;
  void Initialize(Pcg32* rng) override { conv_.Initialize(rng); }

 private:
  Conv2d conv_;
  ParameterBuffer* params_;
  std::vector<uint8_t> codes_;   // [N][out_features]: 0-3 window position, 4 cut by ReLU
  std::vector<float> partials_;  // per sample group: weight gradient, then bias gradient
  std::vector<float> weight_t_;  // the weights as [OC][k][k][C] for the sparse backward
};

// The kernels behind the layer, one sample, exposed for tests.
// conv [C][OH][OW] -> out [C][OH/2][OW/2] = ReLU(max of each 2x2 window), and
// per output the position (0: top left, 1: top right, 2: bottom left,
// 3: bottom right) of the first maximum in scan order, or 4 when ReLU cut it.
void PoolReLUForward(const float* conv, int channels, int height, int width, float* out,
                     uint8_t* codes);
// The gradient of conv [C][OH][OW] from that of out and the codes
// (overwrites every element).
void PoolReLUBackward(const float* grad_out, const uint8_t* codes, int channels, int height,
                      int width, float* grad_conv);

}  // namespace jobctl::trainer
