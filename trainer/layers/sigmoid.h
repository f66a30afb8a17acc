// Sigmoid: elementwise y = 1 / (1 + exp(-x)), as torch.nn.Sigmoid.
#pragma once

#include <string>

#include "trainer/layers/layer.h"

namespace jobctl::trainer {

class Sigmoid : public Layer {
 public:
  explicit Sigmoid(int features) : features_(features) {}

  std::string Describe() const override { return "Sigmoid()"; }
  int in_features() const override { return features_; }
  int out_features() const override { return features_; }
  void Forward(const Tensor& in, Tensor* out, bool training) override;
  void Backward(const Tensor& in, const Tensor& out, const Tensor& grad_out,
                Tensor* grad_in) override;

 private:
  int features_;
};

}  // namespace jobctl::trainer
