// Tanh: elementwise y = tanh(x), as torch.nn.Tanh.
#pragma once

#include <string>

#include "trainer/layers/shape_preserving_layer.h"

namespace jobctl::trainer {

class Tanh : public ShapePreservingLayer {
 public:
  using ShapePreservingLayer::ShapePreservingLayer;

  std::string Describe() const override { return "Tanh()"; }
  void Forward(const Tensor& in, Tensor* out, bool training) override;
  void Backward(const Tensor& in, const Tensor& out, const Tensor& grad_out,
                Tensor* grad_in) override;
};

}  // namespace jobctl::trainer
