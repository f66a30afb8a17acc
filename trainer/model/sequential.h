// Sequential: a model as an ordered list of layers, numbered as
// torch.nn.Sequential numbers them (activation, pooling, flatten and dropout
// layers count), so parameter names are "layers.<index>.weight|bias" and a
// saved state dict loads into the equivalent nn.Sequential held in an
// attribute named `layers`.
//
// All parameters and gradients live in one ParameterBuffer.
//
// Thread-safety: not thread-safe; one thread drives a model.
#pragma once

#include <memory>
#include <vector>

#include "common/status.h"
#include "trainer/layers/layer.h"
#include "trainer/model/model_spec.h"
#include "trainer/tensor/parameter_buffer.h"
#include "trainer/tensor/rng.h"

namespace jobctl::trainer {

struct ModelOptions {
  Activation activation = Activation::kRelu;
  float dropout = 0.0f;  // 0 = no Dropout layers
};

class Sequential {
 public:
  // Builds the layers of `spec`. dropout_rng is used by Dropout layers and
  // must outlive the model. Parameters are zero until Initialize().
  static Result<std::unique_ptr<Sequential>> Build(const ModelSpec& spec,
                                                   const ModelOptions& options,
                                                   Pcg32* dropout_rng);

  // Draws every parameter as PyTorch's default initialisation does.
  void Initialize(Pcg32* rng);

  // Returns the output of the last layer; valid until the next Forward.
  // Precondition: input.features == in_features().
  const Tensor& Forward(const Tensor& input, bool training);
  // Backpropagates dLoss/dOutput of the most recent Forward, overwriting the
  // parameter gradients in params().
  void Backward(const Tensor& grad_output);

  int in_features() const { return layers_.front()->in_features(); }
  int out_features() const { return layers_.back()->out_features(); }
  ParameterBuffer& params() { return params_; }
  const ParameterBuffer& params() const { return params_; }
  const std::vector<std::unique_ptr<Layer>>& layers() const { return layers_; }

 private:
  Sequential() = default;

  ParameterBuffer params_;
  std::vector<std::unique_ptr<Layer>> layers_;
  const Tensor* input_ = nullptr;
  std::vector<Tensor> outputs_;  // outputs_[i] = output of layers_[i]
  Tensor grad_a_;
  Tensor grad_b_;
};

}  // namespace jobctl::trainer
