// ReLU: elementwise y = max(0, x), as torch.nn.ReLU.
#pragma once

#include <string>

#include "trainer/layers/layer.h"

namespace jobctl::trainer {

class ReLU : public Layer {
 public:
  explicit ReLU(int features) : features_(features) {}

  std::string Describe() const override { return "ReLU()"; }
  int in_features() const override { return features_; }
  int out_features() const override { return features_; }
  void Forward(const Tensor& in, Tensor* out, bool training) override;
  void Backward(const Tensor& in, const Tensor& out, const Tensor& grad_out,
                Tensor* grad_in) override;

 private:
  int features_;
};

}  // namespace jobctl::trainer
