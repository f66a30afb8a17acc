// Tanh: elementwise y = tanh(x), as torch.nn.Tanh.
#pragma once

#include <string>

#include "trainer/layers/layer.h"

namespace jobctl::trainer {

class Tanh : public Layer {
 public:
  explicit Tanh(int features) : features_(features) {}

  std::string Describe() const override { return "Tanh()"; }
  int in_features() const override { return features_; }
  int out_features() const override { return features_; }
  void Forward(const Tensor& in, Tensor* out, bool training) override;
  void Backward(const Tensor& in, const Tensor& out, const Tensor& grad_out,
                Tensor* grad_in) override;

 private:
  int features_;
};

}  // namespace jobctl::trainer
