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
// - BackwardAndUpdate(..., optimizer) is Backward followed by the
//   optimizer's update of the layer's parameters from their gradients
//   (optimizer->UpdateRange once for each parameter element, after
//   optimizer->BeginStep()), which a layer may fuse: it may update a block
//   of parameters as soon as the block's gradient is computed, while it is
//   in cache, and the parameter gradients in the ParameterBuffer are then
//   unspecified. Only layers whose CanFuseUpdate() is true implement it;
//   parameterless layers do, trivially.
// - Initialize draws parameters as PyTorch's defaults do.
//
// Thread-safety: not thread-safe; one thread drives a model.
#pragma once

#include <string>

#include "trainer/tensor/parameter_buffer.h"
#include "trainer/tensor/rng.h"
#include "trainer/tensor/tensor.h"

namespace jobctl::trainer {

class Optimizer;

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
  virtual bool CanFuseUpdate() const { return false; }
  // Precondition: CanFuseUpdate(). The default suits parameterless layers.
  virtual void BackwardAndUpdate(const Tensor& in, const Tensor& out, const Tensor& grad_out,
                                 Tensor* grad_in, Optimizer* /*optimizer*/) {
    Backward(in, out, grad_out, grad_in);
  }
};

}  // namespace jobctl::trainer
