// Conv2d: 2-D convolution over NCHW samples as torch.nn.Conv2d (square
// kernel, stride, zero padding), computed as im2col + one GEMM per batch.
// Weight is [out_channels, in_channels, k, k], bias [out_channels].
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

 private:
  void Im2Col(const Tensor& in);
  void Col2Im(int batch, Tensor* grad_in) const;

  ConvGeometry g_;
  ParameterBuffer* params_;
  size_t weight_offset_;
  size_t bias_offset_;
  // [C*k*k, N*OH*OW]: column n*P+p holds the patch of output pixel p of
  // sample n. Kept from Forward for Backward.
  std::vector<float> col_;
  std::vector<float> product_;  // [out_channels, N*P]
  std::vector<float> grad_col_;
};

}  // namespace jobctl::trainer
