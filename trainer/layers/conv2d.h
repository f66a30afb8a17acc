// Conv2d: 2-D convolution over NCHW samples as torch.nn.Conv2d (square
// kernel, stride, zero padding). Weight is [out_channels, in_channels, k, k],
// bias [out_channels].
//
// Computed per sample as im2col + GEMM (wider GEMMs over several samples'
// columns side by side measured no faster here). A sample's im2col columns
// live in a per-thread buffer that stays in cache; Backward builds them again
// instead of keeping a batch's worth (9 MB for the CNN's second layer) that
// would go through memory twice. A single-channel,
// stride-1, unpadded convolution (the first layer of an image model, where
// im2col's inner dimension would be only k*k) uses the direct kernels of
// conv2d_direct.h instead.
//
// Samples are spread over ComputePool(): the forward pass writes each
// sample's output straight from its GEMM; the backward pass sums the weight
// and bias gradients per fixed group of samples and then adds the groups in
// order, so the result does not depend on the thread count.
#pragma once

#include <string>
#include <vector>

#include "trainer/layers/layer.h"

namespace jobctl::trainer {

struct ConvGeometry {
  int in_channels = 1;
  int in_height = 1;
  int in_width = 1;
  int out_channels = 1;
  int kernel = 3;
  int stride = 1;
  int padding = 0;
  int out_height() const { return (in_height + 2 * padding - kernel) / stride + 1; }
  int out_width() const { return (in_width + 2 * padding - kernel) / stride + 1; }
};

class Conv2d : public Layer {
 public:
  // Precondition: the geometry gives a positive output size.
  Conv2d(const ConvGeometry& geometry, const std::string& prefix, ParameterBuffer* params);

  std::string Describe() const override;
  int in_features() const override { return g_.in_channels * g_.in_height * g_.in_width; }
  int out_features() const override { return g_.out_channels * g_.out_height() * g_.out_width(); }
  void Forward(const Tensor& in, Tensor* out, bool training) override;
  void Backward(const Tensor& in, const Tensor& out, const Tensor& grad_out,
                Tensor* grad_in) override;
  void Initialize(Pcg32* rng) override;

  // One sample, for layers that fuse the convolution with what follows:
  // out [oc][OH*OW] = convolution of in [C][H][W] + bias.
  void ForwardSample(const float* in, float* out) const;
  // One sample: adds its weight and bias gradients to dw [oc][C*k*k] and
  // db [oc]; writes its input gradient when grad_in is not null.
  void BackwardSample(const float* in, const float* grad_out, float* dw, float* db,
                      float* grad_in) const;
  // Sums per-group partials (weight gradient then bias gradient, groups in
  // order) into dw and db, overwriting them.
  void AddPartials(const std::vector<float>& partials, int groups, float* dw, float* db) const;
  const ConvGeometry& geometry() const { return g_; }
  size_t weight_offset() const { return weight_offset_; }
  size_t bias_offset() const { return bias_offset_; }

 private:
  int patch_size() const { return g_.in_channels * g_.kernel * g_.kernel; }
  int pixels() const { return g_.out_height() * g_.out_width(); }
  // col [C*k*k, OH*OW]: column p holds the input patch of output pixel p.
  void Im2Col(const float* sample, float* col) const;
  // Writes the input-shaped sample as the sum of col [C*k*k, OH*OW]'s patches.
  void Col2Im(const float* col, float* sample) const;

  ConvGeometry g_;
  ParameterBuffer* params_;
  size_t weight_offset_;
  size_t bias_offset_;
  bool direct_;                  // single channel, stride 1, no padding
  std::vector<float> partials_;  // per sample group: weight gradient, then bias gradient
};

}  // namespace jobctl::trainer
