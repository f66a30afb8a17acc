#include "trainer/model/sequential.h"

#include <string>

#include "trainer/layers/conv2d.h"
#include "trainer/layers/conv_pool_relu.h"
#include "trainer/layers/dropout.h"
#include "trainer/layers/flatten.h"
#include "trainer/layers/linear.h"
#include "trainer/layers/max_pool2d.h"
#include "trainer/layers/relu.h"
#include "trainer/layers/sigmoid.h"
#include "trainer/layers/tanh.h"

namespace jobctl::trainer {
namespace {

std::unique_ptr<Layer> MakeActivation(Activation activation, int features) {
  switch (activation) {
    case Activation::kTanh:
      return std::make_unique<Tanh>(features);
    case Activation::kSigmoid:
      return std::make_unique<Sigmoid>(features);
    case Activation::kRelu:
      break;
  }
  return std::make_unique<ReLU>(features);
}

}  // namespace

Result<std::unique_ptr<Sequential>> Sequential::Build(const ModelSpec& spec,
                                                      const ModelOptions& options,
                                                      Pcg32* dropout_rng) {
  if (options.dropout < 0.0f || options.dropout >= 1.0f) {
    return InvalidArgumentError("dropout must be in [0, 1), got " +
                                std::to_string(options.dropout));
  }
  std::unique_ptr<Sequential> model(new Sequential());
  auto& layers = model->layers_;
  ParameterBuffer* params = &model->params_;
  // Modules of torch's Sequential that a fused layer stands for beyond one.
  size_t fused_extra = 0;
  auto prefix = [&layers, &fused_extra] {
    return "layers." + std::to_string(layers.size() + fused_extra);
  };
  auto add_dropout = [&](int features) {
    if (options.dropout > 0.0f) {
      layers.push_back(std::make_unique<Dropout>(features, options.dropout, dropout_rng));
    }
  };
  if (spec.kind == ModelKind::kCnn) {
    // Max pooling runs before ReLU here (PyTorch's order is ReLU, MaxPool):
    // max over a window commutes with ReLU, values and gradients alike (the
    // first maximum of x is the first maximum of ReLU(x) when it is
    // positive; otherwise ReLU passes no gradient either way), and ReLU then
    // touches a quarter of the values. The two hold no parameters, so the
    // parameter names stay those of PyTorch's order. The first block
    // (torch's layers 0-2) is one fused layer that never stores the 26x26
    // maps.
    layers.push_back(std::make_unique<ConvPoolReLU>(28, 28, 32, 3, prefix(), params));
    fused_extra += 2;
    ConvGeometry conv2{32, 13, 13, 64, 3, 1, 0};
    layers.push_back(std::make_unique<Conv2d>(conv2, prefix(), params));
    layers.push_back(std::make_unique<MaxPool2d>(64, 11, 11, 2));
    layers.push_back(std::make_unique<ReLU>(64 * 5 * 5));
    layers.push_back(std::make_unique<Flatten>(1600));
    layers.push_back(std::make_unique<Linear>(1600, 128, prefix(), params));
    layers.push_back(std::make_unique<ReLU>(128));
    add_dropout(128);
    layers.push_back(std::make_unique<Linear>(128, 10, prefix(), params));
  } else {
    const auto& sizes = spec.sizes;
    for (size_t i = 0; i + 1 < sizes.size(); ++i) {
      layers.push_back(std::make_unique<Linear>(sizes[i], sizes[i + 1], prefix(), params));
      if (i + 2 < sizes.size()) {
        layers.push_back(MakeActivation(options.activation, sizes[i + 1]));
        add_dropout(sizes[i + 1]);
      }
    }
  }
  model->params_.Finalize();
  model->outputs_.resize(layers.size());
  return model;
}

void Sequential::Initialize(Pcg32* rng) {
  for (auto& layer : layers_) layer->Initialize(rng);
}

const Tensor& Sequential::Forward(const Tensor& input, bool training) {
  input_ = &input;
  const Tensor* current = &input;
  for (size_t i = 0; i < layers_.size(); ++i) {
    layers_[i]->Forward(*current, &outputs_[i], training);
    current = &outputs_[i];
  }
  return *current;
}

void Sequential::Backward(const Tensor& grad_output) {
  const Tensor* grad = &grad_output;
  for (size_t i = layers_.size(); i-- > 0;) {
    const Tensor& in = i == 0 ? *input_ : outputs_[i - 1];
    Tensor* grad_in = i == 0 ? nullptr : (grad == &grad_a_ ? &grad_b_ : &grad_a_);
    layers_[i]->Backward(in, outputs_[i], *grad, grad_in);
    grad = grad_in;
  }
}

}  // namespace jobctl::trainer
