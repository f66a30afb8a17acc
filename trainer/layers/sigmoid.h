// Sigmoid: elementwise y = 1 / (1 + exp(-x)), as torch.nn.Sigmoid.
#pragma once

#include <string>

#include "trainer/layers/shape_preserving_layer.h"

namespace jobctl::trainer {

class Sigmoid : public ShapePreservingLayer {
 public:
  using ShapePreservingLayer::ShapePreservingLayer;

  std::string Describe() const override { return "Sigmoid()"; }
  void Forward(const Tensor& in, Tensor* out, bool training) override;
  void Backward(const Tensor& in, const Tensor& out, const Tensor& grad_out,
                Tensor* grad_in) override;
};

}  // namespace jobctl::trainer
