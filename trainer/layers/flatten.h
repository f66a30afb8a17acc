// Flatten: [N, C, H, W] -> [N, C*H*W], as torch.nn.Flatten. Tensors are
// already stored flat per sample, so this is a copy.
#pragma once

#include <string>

#include "trainer/layers/layer.h"

namespace jobctl::trainer {

class Flatten : public Layer {
 public:
  explicit Flatten(int features) : features_(features) {}

  std::string Describe() const override { return "Flatten()"; }
  int in_features() const override { return features_; }
  int out_features() const override { return features_; }
  void Forward(const Tensor& in, Tensor* out, bool training) override;
  void Backward(const Tensor& in, const Tensor& out, const Tensor& grad_out,
                Tensor* grad_in) override;

 private:
  int features_;
};

}  // namespace jobctl::trainer
