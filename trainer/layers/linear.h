// Linear: y = x W^T + b, W is [out, in] as in torch.nn.Linear.
#pragma once

#include <string>

#include "trainer/layers/layer.h"

namespace jobctl::trainer {

class Linear : public Layer {
 public:
  // Reserves "<prefix>.weight" [out, in] and "<prefix>.bias" [out] in params.
  Linear(int in, int out, const std::string& prefix, ParameterBuffer* params);

  std::string Describe() const override;
  int in_features() const override { return in_; }
  int out_features() const override { return out_; }
  void Forward(const Tensor& in, Tensor* out, bool training) override;
  void Backward(const Tensor& in, const Tensor& out, const Tensor& grad_out,
                Tensor* grad_in) override;
  // Kaiming-uniform(a=sqrt(5)) weights and U(-1/sqrt(in), 1/sqrt(in)) bias.
  void Initialize(Pcg32* rng) override;

 private:
  int in_;
  int out_;
  ParameterBuffer* params_;
  size_t weight_offset_;
  size_t bias_offset_;
};

}  // namespace jobctl::trainer
