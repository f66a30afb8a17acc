#include "trainer/model/sequential.h"

#include <string>

#include "trainer/layers/conv2d.h"
#include "trainer/layers/conv_pool_relu.h"
#include "trainer/layers/dropout.h"
#include "trainer/layers/linear.h"
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
    // Each block of torch's Conv2d, ReLU, MaxPool2d(2) (layers 0-2 and 3-5)
    // is one fused layer, ConvPoolReLU, that pools each sample's convolution
    // output while it is in cache (max pooling commutes with ReLU, so it
    // pools first). Flatten (layer 6) is the identity on the trainer's flat
    // rows and is left out. Parameter names stay those of torch's indices.
    layers.push_back(
        std::make_unique<ConvPoolReLU>(ConvGeometry{1, 28, 28, 32, 3, 1, 0}, prefix(), params));
    fused_extra += 2;
    layers.push_back(
        std::make_unique<ConvPoolReLU>(ConvGeometry{32, 13, 13, 64, 3, 1, 0}, prefix(), params));
    fused_extra += 3;
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
