// ReLU: elementwise y = max(0, x), as torch.nn.ReLU.
#pragma once

#include <string>

#include "trainer/layers/shape_preserving_layer.h"

namespace jobctl::trainer {

class ReLU : public ShapePreservingLayer {
 public:
  using ShapePreservingLayer::ShapePreservingLayer;

  std::string Describe() const override { return "ReLU()"; }
  void Forward(const Tensor& in, Tensor* out, bool training) override;
  void Backward(const Tensor& in, const Tensor& out, const Tensor& grad_out,
                Tensor* grad_in) override;
};

}  // namespace jobctl::trainer
