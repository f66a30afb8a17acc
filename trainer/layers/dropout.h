// Dropout: in training, zeroes each element with probability p and scales
// the rest by 1/(1-p) (inverted dropout, as torch.nn.Dropout); identity in
// evaluation. Masks come from the Pcg32 given at construction, which the
// trainer owns and checkpoints, so a resumed run draws the same masks.
#pragma once

#include <string>
#include <vector>

#include "trainer/layers/layer.h"

namespace jobctl::trainer {

class Dropout : public Layer {
 public:
  // Precondition: 0 <= p < 1; rng outlives the layer.
  Dropout(int features, float p, Pcg32* rng) : features_(features), p_(p), rng_(rng) {}

  std::string Describe() const override { return "Dropout(p=" + std::to_string(p_) + ")"; }
  int in_features() const override { return features_; }
  int out_features() const override { return features_; }
  void Forward(const Tensor& in, Tensor* out, bool training) override;
  void Backward(const Tensor& in, const Tensor& out, const Tensor& grad_out,
                Tensor* grad_in) override;

 private:
  int features_;
  float p_;
  Pcg32* rng_;
  bool last_training_ = false;
  std::vector<float> mask_;  // 0 or 1/(1-p) per element of the last batch
};

}  // namespace jobctl::trainer
