// Flatten: [N, C, H, W] -> [N, C*H*W], as torch.nn.Flatten. Tensors are
// already stored flat per sample, so this is a copy.
#pragma once

#include <string>

#include "trainer/layers/shape_preserving_layer.h"

namespace jobctl::trainer {

class Flatten : public ShapePreservingLayer {
 public:
  using ShapePreservingLayer::ShapePreservingLayer;

  std::string Describe() const override { return "Flatten()"; }
  void Forward(const Tensor& in, Tensor* out, bool training) override;
  void Backward(const Tensor& in, const Tensor& out, const Tensor& grad_out,
                Tensor* grad_in) override;
};

}  // namespace jobctl::trainer
