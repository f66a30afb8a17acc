// Gradients of every layer and loss against central finite differences.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <memory>
#include <vector>

#include "trainer/layers/conv2d.h"
#include "trainer/layers/dropout.h"
#include "trainer/layers/flatten.h"
#include "trainer/layers/linear.h"
#include "trainer/layers/max_pool2d.h"
#include "trainer/layers/relu.h"
#include "trainer/layers/sigmoid.h"
#include "trainer/layers/tanh.h"
#include "trainer/losses/loss.h"

namespace jobctl::trainer {
namespace {

Tensor RandomTensor(int batch, int features, Pcg32* rng, float lo = -1.0f, float hi = 1.0f) {
  Tensor t;
  t.Resize(batch, features);
  for (size_t i = 0; i < t.size(); ++i) t.data[i] = rng->Uniform(lo, hi);
  return t;
}

// Loss = sum(out * weights): dLoss/dOut = weights. Checks dLoss/dIn and
// dLoss/dParams of `layer` against central differences (double sums).
void CheckLayer(Layer* layer, ParameterBuffer* params, Tensor input, float tolerance) {
  Pcg32 rng(7, 3);
  Tensor out;
  layer->Forward(input, &out, /*training=*/false);
  Tensor weights = RandomTensor(out.batch, out.features, &rng);
  auto objective = [&]() {
    Tensor o;
    layer->Forward(input, &o, false);
    double s = 0.0;
    for (size_t i = 0; i < o.size(); ++i) s += static_cast<double>(o.data[i]) * weights.data[i];
    return s;
  };
  layer->Forward(input, &out, false);
  Tensor grad_in;
  layer->Backward(input, out, weights, &grad_in);
  std::vector<float> param_grads;
  if (params != nullptr) param_grads.assign(params->grads(), params->grads() + params->size());
  const float h = 1e-2f;
  for (size_t i = 0; i < input.size(); ++i) {
    float saved = input.data[i];
    input.data[i] = saved + h;
    double plus = objective();
    input.data[i] = saved - h;
    double minus = objective();
    input.data[i] = saved;
    double numeric = (plus - minus) / (2.0 * h);
    ASSERT_NEAR(grad_in.data[i], numeric, tolerance * (1.0 + std::fabs(numeric)))
        << layer->Describe() << " input " << i;
  }
  if (params == nullptr) return;
  for (const ParameterInfo& p : params->parameters()) {
    for (size_t i = 0; i < p.count; ++i) {
      float* v = params->values() + p.offset + i;
      float saved = *v;
      *v = saved + h;
      double plus = objective();
      *v = saved - h;
      double minus = objective();
      *v = saved;
      double numeric = (plus - minus) / (2.0 * h);
      ASSERT_NEAR(param_grads[p.offset + i], numeric, tolerance * (1.0 + std::fabs(numeric)))
          << p.name << "[" << i << "]";
    }
  }
}

TEST(GradientTest, Linear) {
  ParameterBuffer params;
  Linear layer(5, 4, "layers.0", &params);
  params.Finalize();
  Pcg32 rng(1, 1);
  layer.Initialize(&rng);
  CheckLayer(&layer, &params, RandomTensor(3, 5, &rng), 2e-3f);
}

TEST(GradientTest, Conv2dWithPaddingAndStride) {
  ParameterBuffer params;
  ConvGeometry g{2, 6, 5, 3, 3, 2, 1};
  Conv2d layer(g, "layers.0", &params);
  params.Finalize();
  Pcg32 rng(2, 1);
  layer.Initialize(&rng);
  CheckLayer(&layer, &params, RandomTensor(2, layer.in_features(), &rng), 2e-3f);
}

TEST(GradientTest, Conv2dPlain) {
  ParameterBuffer params;
  ConvGeometry g{1, 5, 5, 2, 3, 1, 0};
  Conv2d layer(g, "layers.0", &params);
  params.Finalize();
  Pcg32 rng(3, 1);
  layer.Initialize(&rng);
  EXPECT_EQ(layer.out_features(), 2 * 3 * 3);
  CheckLayer(&layer, &params, RandomTensor(3, layer.in_features(), &rng), 2e-3f);
}

TEST(GradientTest, MaxPool2d) {
  MaxPool2d layer(2, 5, 4, 2);
  EXPECT_EQ(layer.out_features(), 2 * 2 * 2);
  // Distinct values spaced well beyond the step so no perturbation flips
  // the maximum.
  Tensor input;
  input.Resize(2, layer.in_features());
  Pcg32 rng(4, 1);
  for (size_t i = 0; i < input.size(); ++i) input.data[i] = static_cast<float>(i) * 0.1f;
  for (size_t i = input.size() - 1; i > 0; --i) {
    std::swap(input.data[i], input.data[rng.NextBounded(static_cast<uint32_t>(i + 1))]);
  }
  CheckLayer(&layer, nullptr, input, 1e-3f);
}

TEST(GradientTest, Activations) {
  Pcg32 rng(5, 1);
  Tensor input = RandomTensor(3, 7, &rng, -2.0f, 2.0f);
  for (size_t i = 0; i < input.size(); ++i) {
    if (std::fabs(input.data[i]) < 0.05f) input.data[i] = 0.5f;  // ReLU's kink
  }
  ReLU relu(7);
  CheckLayer(&relu, nullptr, input, 1e-3f);
  Tanh tanh_layer(7);
  CheckLayer(&tanh_layer, nullptr, input, 2e-3f);
  Sigmoid sigmoid(7);
  CheckLayer(&sigmoid, nullptr, input, 2e-3f);
  Flatten flatten(7);
  CheckLayer(&flatten, nullptr, input, 1e-3f);
}

TEST(GradientTest, DropoutMasksAndScales) {
  Pcg32 rng(6, 1);
  Dropout layer(1000, 0.25f, &rng);
  Tensor input;
  input.Resize(2, 1000);
  for (size_t i = 0; i < input.size(); ++i) input.data[i] = 1.0f;
  Tensor out;
  layer.Forward(input, &out, /*training=*/true);
  int zeros = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out.data[i] == 0.0f) {
      ++zeros;
    } else {
      ASSERT_FLOAT_EQ(out.data[i], 1.0f / 0.75f);
    }
  }
  EXPECT_GT(zeros, 400);
  EXPECT_LT(zeros, 600);
  Tensor grad_out = input;
  Tensor grad_in;
  layer.Backward(input, out, grad_out, &grad_in);
  for (size_t i = 0; i < out.size(); ++i) ASSERT_FLOAT_EQ(grad_in.data[i], out.data[i]);
  layer.Forward(input, &out, /*training=*/false);
  for (size_t i = 0; i < out.size(); ++i) ASSERT_FLOAT_EQ(out.data[i], 1.0f);
}

void CheckLoss(const char* name, int features, float tolerance) {
  auto loss = CreateLoss(name);
  ASSERT_TRUE(loss.ok());
  Pcg32 rng(8, 1);
  Tensor output = RandomTensor(4, features, &rng, -2.0f, 2.0f);
  std::vector<int> labels(4);
  for (int& l : labels) l = static_cast<int>(rng.NextBounded(features == 1 ? 2 : features));
  Tensor grad;
  (*loss)->Compute(output, labels.data(), &grad);
  Tensor scratch;
  const float h = 1e-2f;
  for (size_t i = 0; i < output.size(); ++i) {
    float saved = output.data[i];
    output.data[i] = saved + h;
    double plus = (*loss)->Compute(output, labels.data(), &scratch);
    output.data[i] = saved - h;
    double minus = (*loss)->Compute(output, labels.data(), &scratch);
    output.data[i] = saved;
    double numeric = (plus - minus) / (2.0 * h);
    ASSERT_NEAR(grad.data[i], numeric, tolerance) << name << " element " << i;
  }
}

TEST(GradientTest, Losses) {
  CheckLoss("cross_entropy", 5, 1e-3f);
  CheckLoss("binary_cross_entropy", 3, 1e-3f);
  CheckLoss("binary_cross_entropy", 1, 1e-3f);
  CheckLoss("mse", 3, 1e-3f);
}

TEST(LossTest, CrossEntropyValue) {
  auto loss = CreateLoss("cross_entropy");
  ASSERT_TRUE(loss.ok());
  Tensor output;
  output.Resize(1, 3);
  output.data = {1.0f, 2.0f, 3.0f};
  int label = 2;
  Tensor grad;
  // -log(e^3 / (e^1 + e^2 + e^3)) = 0.40760596
  EXPECT_NEAR((*loss)->Compute(output, &label, &grad), 0.40760596f, 1e-6f);
  EXPECT_FALSE(CreateLoss("hinge").ok());
}

}  // namespace
}  // namespace jobctl::trainer
