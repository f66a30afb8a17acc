// Layer: one stage of a Sequential model, forward and backward on a batch.
//
// Contract:
// - A layer is built for a fixed per-sample input size (in_features()) and
//   produces a fixed per-sample output size (out_features()).
// - Forward(in, out, training) writes out (resized by the layer). It may
//   cache what Backward needs (im2col buffers, pooling indices, dropout
//   masks); Backward must be called with the same `in` and `out` of the most
//   recent Forward.
// - Backward(in, out, grad_out, grad_in) OVERWRITES the layer's parameter
//   gradients in the model's ParameterBuffer (no accumulation: one backward
//   per step) and, when grad_in is not null, writes dLoss/dInput into it.
//   The first layer of a model gets grad_in == nullptr and skips that work.
// - Initialize draws parameters as PyTorch's defaults do.
//
// Thread-safety: not thread-safe; one thread drives a model.
#pragma once

#include <string>

#include "trainer/tensor/parameter_buffer.h"
#include "trainer/tensor/rng.h"
#include "trainer/tensor/tensor.h"

namespace jobctl::trainer {

class Layer {
 public:
  virtual ~Layer() = default;

  virtual std::string Describe() const = 0;  // e.g. "Linear(784, 512)"
  virtual int in_features() const = 0;
  virtual int out_features() const = 0;

  virtual void Forward(const Tensor& in, Tensor* out, bool training) = 0;
  virtual void Backward(const Tensor& in, const Tensor& out, const Tensor& grad_out,
                        Tensor* grad_in) = 0;

  // Parameterless layers keep the defaults.
  virtual void Initialize(Pcg32* /*rng*/) {}
};

}  // namespace jobctl::trainer
