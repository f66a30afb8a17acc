// One and two steps of each optimizer against values from PyTorch 1.13
// (torch.optim on p = [1, -2, 0.5], grads [0.1, -0.3, 2] then [-0.2, 0.4, 1]).
#include <gtest/gtest.h>

#include <vector>

#include "trainer/optimizers/optimizer.h"

namespace jobctl::trainer {
namespace {

void ExpectSteps(const OptimizerConfig& config, const std::vector<float>& after_one,
                 const std::vector<float>& after_two) {
  std::vector<float> p = {1.0f, -2.0f, 0.5f};
  auto opt = CreateOptimizer(config, p.size());
  ASSERT_TRUE(opt.ok()) << opt.status().ToString();
  std::vector<float> g1 = {0.1f, -0.3f, 2.0f};
  std::vector<float> g2 = {-0.2f, 0.4f, 1.0f};
  (*opt)->Step(p.data(), g1.data(), p.size());
  for (size_t i = 0; i < p.size(); ++i) EXPECT_NEAR(p[i], after_one[i], 2e-6f) << config.name << " step 1 [" << i << "]";
  (*opt)->Step(p.data(), g2.data(), p.size());
  for (size_t i = 0; i < p.size(); ++i) EXPECT_NEAR(p[i], after_two[i], 2e-6f) << config.name << " step 2 [" << i << "]";
  EXPECT_EQ((*opt)->steps(), 2);
}

TEST(OptimizerTest, PlainSgd) {
  OptimizerConfig c;
  c.name = "sgd";
  c.lr = 0.1f;
  ExpectSteps(c, {0.99000001f, -1.97000003f, 0.300000012f},
              {1.00999999f, -2.00999999f, 0.200000018f});
}

TEST(OptimizerTest, SgdNesterovWeightDecay) {
  OptimizerConfig c;
  c.name = "sgd";
  c.lr = 0.1f;
  c.momentum = 0.9f;
  c.nesterov = true;
  c.weight_decay = 0.01f;
  ExpectSteps(c, {0.979099989f, -1.93920004f, 0.119049974f},
              {1.00632966f, -1.98559558f, -0.233581245f});
}

TEST(OptimizerTest, SgdMomentumDampening) {
  OptimizerConfig c;
  c.name = "sgd";
  c.lr = 0.1f;
  c.momentum = 0.9f;
  c.dampening = 0.1f;
  ExpectSteps(c, {0.99000001f, -1.97000003f, 0.300000012f},
              {0.999000013f, -1.97899997f, 0.0300000273f});
}

TEST(OptimizerTest, AdamWeightDecay) {
  OptimizerConfig c;
  c.name = "adam";
  c.lr = 0.01f;
  c.weight_decay = 0.1f;
  ExpectSteps(c, {0.99000001f, -1.99000001f, 0.49000001f},
              {0.9873752f, -1.98656011f, 0.480644524f});
}

TEST(OptimizerTest, AdamDefaults) {
  OptimizerConfig c;
  c.name = "adam";
  ExpectSteps(c, {0.999000013f, -1.99899995f, 0.499000013f},
              {0.999366105f, -1.99919343f, 0.498067826f});
}

TEST(OptimizerTest, AdadeltaDefaults) {
  OptimizerConfig c;
  c.name = "adadelta";
  ExpectSteps(c, {0.996839285f, -1.99683785f, 0.496837735f},
              {1.00087845f, -2.00048161f, 0.494752586f});
}

TEST(OptimizerTest, AdadeltaOptions) {
  OptimizerConfig c;
  c.name = "adadelta";
  c.lr = 0.5f;
  c.rho = 0.8f;
  c.weight_decay = 0.1f;
  ExpectSteps(c, {0.998882055f, -1.99888194f, 0.498881966f},
              {0.999654174f, -1.99952769f, 0.498096287f});
}

TEST(OptimizerTest, RejectsBadConfig) {
  OptimizerConfig c;
  c.name = "rmsprop";
  auto unknown = CreateOptimizer(c, 3);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("--optimizer"), std::string::npos);
  c.name = "sgd";
  c.nesterov = true;
  EXPECT_FALSE(CreateOptimizer(c, 3).ok());
}

}  // namespace
}  // namespace jobctl::trainer
