// GpuPlan against the CPU Sequential: layer for layer and parameter for
// parameter (runs on every machine, no GPU needed).
#include "trainer/gpu/gpu_plan.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <ostream>
#include <string>

#include "trainer/gpu/test_param_names.h"
#include "trainer/layers/layer.h"

namespace jobctl::trainer::gpu {
namespace {

using test_names::ParamName;
using test_names::Short;

struct Case {
  const char* spec;
  Activation activation;
  float dropout;
};

std::string Describe(const Case& c) {
  static const char* const kActivations[] = {"relu", "tanh", "sigmoid"};
  return std::string(c.spec) + "/" + kActivations[static_cast<int>(c.activation)] +
         "/dropout=" + Short(c.dropout);
}
void PrintTo(const Case& c, std::ostream* os) { *os << Describe(c); }

class GpuPlanTest : public ::testing::TestWithParam<Case> {};

TEST_P(GpuPlanTest, MatchesTheCpuModelLayerForLayer) {
  const Case& c = GetParam();
  auto spec = ParseModelSpec(c.spec);
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  Pcg32 rng(1, 2);
  ModelOptions options{c.activation, c.dropout};
  auto model = Sequential::Build(*spec, options, &rng);
  ASSERT_TRUE(model.ok()) << model.status().message();
  auto plan = BuildGpuPlan(*spec, options, (*model)->params());
  ASSERT_TRUE(plan.ok()) << plan.status().message();

  // The plan keeps torch's modules one by one; the CPU model runs each CNN
  // block (Conv2d, then the plan's MaxPool2d and ReLU) as one fused layer and
  // leaves Flatten out (the identity on flat rows).
  const auto& layers = (*model)->layers();
  size_t op = 0;
  int widest = layers.front()->in_features();
  for (size_t i = 0; i < layers.size(); ++i) {
    SCOPED_TRACE("layer " + std::to_string(i) + ": " + layers[i]->Describe());
    if (op < plan->ops.size() && plan->ops[op].kind == OpKind::kFlatten &&
        layers[i]->Describe() != plan->ops[op].Describe()) {
      EXPECT_EQ(plan->ops[op].in_features, plan->ops[op].out_features);
      ++op;
    }
    ASSERT_LT(op, plan->ops.size());
    const GpuOp& first = plan->ops[op];
    const GpuOp* last = &first;
    std::string description = first.Describe();
    if (first.kind == OpKind::kConv2d && layers[i]->Describe() != description) {
      ASSERT_LT(op + 2, plan->ops.size());
      EXPECT_EQ(plan->ops[op + 1].kind, OpKind::kMaxPool2d);
      EXPECT_EQ(plan->ops[op + 2].kind, OpKind::kRelu);
      description += ", " + plan->ops[op + 2].Describe() + ", " + plan->ops[op + 1].Describe();
      last = &plan->ops[op + 2];
      op += 2;
    }
    ++op;
    EXPECT_EQ(description, layers[i]->Describe());
    EXPECT_EQ(first.in_features, layers[i]->in_features());
    EXPECT_EQ(last->out_features, layers[i]->out_features());
  }
  EXPECT_EQ(op, plan->ops.size());
  // The GPU keeps every module's output, the unpooled convolutions' too.
  for (const GpuOp& o : plan->ops) widest = std::max(widest, o.out_features);
  EXPECT_EQ(plan->parameter_count, (*model)->params().size());
  EXPECT_EQ(plan->input_features, (*model)->in_features());
  EXPECT_EQ(plan->output_features, (*model)->out_features());
  EXPECT_EQ(plan->max_features, widest);

  // Every parameter of the buffer belongs to exactly one op, at its offset.
  size_t bound = 0;
  for (const ParameterInfo& p : (*model)->params().parameters()) {
    const size_t index = static_cast<size_t>(std::stoi(p.name.substr(p.name.find('.') + 1)));
    ASSERT_LT(index, plan->ops.size()) << p.name;
    const GpuOp& op = plan->ops[index];
    ASSERT_TRUE(op.has_parameters()) << p.name;
    const bool weight = p.name.ends_with(".weight");
    EXPECT_EQ(weight ? op.weight_offset : op.bias_offset, p.offset) << p.name;
    // Linear weights stay transposed ([in, out]), as the GPU GEMMs read them.
    if (weight) {
      EXPECT_EQ(p.transposed, op.kind == OpKind::kLinear) << p.name;
    }
    ++bound;
  }
  size_t with_parameters = 0;
  for (const GpuOp& op : plan->ops) with_parameters += op.has_parameters() ? 2 : 0;
  EXPECT_EQ(bound, with_parameters);
}

INSTANTIATE_TEST_SUITE_P(Models, GpuPlanTest,
                         ::testing::Values(Case{"mlp:784-512-512-10", Activation::kRelu, 0.0f},
                                           Case{"mlp:4-16-8-3", Activation::kTanh, 0.25f},
                                           Case{"mlp:5-7-1", Activation::kSigmoid, 0.0f},
                                           Case{"logreg:784-10", Activation::kRelu, 0.5f},
                                           Case{"cnn", Activation::kRelu, 0.0f},
                                           Case{"cnn", Activation::kRelu, 0.5f}),
                         [](const auto& info) {
                           return ParamName(Describe(info.param), info.index);
                         });

TEST(GpuPlanTest, CnnGeometry) {
  auto spec = ParseModelSpec("cnn");
  ASSERT_TRUE(spec.ok());
  Pcg32 rng;
  auto model = Sequential::Build(*spec, {}, &rng);
  ASSERT_TRUE(model.ok());
  auto plan = BuildGpuPlan(*spec, {}, (*model)->params());
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  const GpuOp& conv2 = plan->ops[3];
  ASSERT_EQ(conv2.kind, OpKind::kConv2d);
  EXPECT_EQ(conv2.conv.in_channels, 32);
  EXPECT_EQ(conv2.conv.out_height(), 11);
  const GpuOp& pool2 = plan->ops[4];
  ASSERT_EQ(pool2.kind, OpKind::kMaxPool2d);
  EXPECT_EQ(pool2.out_features, 64 * 5 * 5);  // 11 / 2 rounds down, as PyTorch
}

TEST(GpuPlanTest, RejectsTheBufferOfAnotherModel) {
  auto mlp = ParseModelSpec("mlp:4-8-3");
  auto other = ParseModelSpec("mlp:4-9-3");
  ASSERT_TRUE(mlp.ok() && other.ok());
  Pcg32 rng;
  auto model = Sequential::Build(*other, {}, &rng);
  ASSERT_TRUE(model.ok());
  auto plan = BuildGpuPlan(*mlp, {}, (*model)->params());
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(plan.status().message().find("layers.0"), std::string::npos) << plan.status().message();
}

}  // namespace
}  // namespace jobctl::trainer::gpu
