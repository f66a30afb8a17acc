// ShapePreservingLayer: the base of layers whose output has as many features
// as their input (ReLU, Tanh, Sigmoid, Flatten). Subclasses implement
// Describe, Forward and Backward.
#pragma once

#include "trainer/layers/layer.h"

namespace jobctl::trainer {

class ShapePreservingLayer : public Layer {
 public:
  explicit ShapePreservingLayer(int features) : features_(features) {}

  int in_features() const override { return features_; }
  int out_features() const override { return features_; }

 protected:
  int features_;
};

}  // namespace jobctl::trainer
