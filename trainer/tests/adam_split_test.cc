// Adam's update gives the same bits whatever the number of compute threads
// it is split across (parts start on 64-element boundaries, so every
// element takes the same operations in any split).
#include <gtest/gtest.h>

#include <vector>

#include "trainer/optimizers/optimizer.h"
#include "trainer/tensor/rng.h"
#include "trainer/tensor/thread_pool.h"

namespace jobctl::trainer {
namespace {

std::vector<float> Train(int threads, size_t count) {
  SetComputeThreads(threads);
  OptimizerConfig config;
  config.weight_decay = 0.01f;
  auto optimizer = CreateOptimizer(config, count);
  EXPECT_TRUE(optimizer.ok());
  Pcg32 rng(3, 4);
  std::vector<float> p(count);
  for (float& x : p) x = rng.Uniform(-1.0f, 1.0f);
  std::vector<float> g(count);
  for (int step = 0; step < 3; ++step) {
    for (float& x : g) x = rng.Uniform(-0.5f, 0.5f);
    (*optimizer)->Step(p.data(), g.data(), count);
  }
  SetComputeThreads(1);
  return p;
}

TEST(AdamSplitTest, SameBitsOnOneTwoAndThreeThreads) {
  const size_t count = 3 * (1 << 15) + 13;  // parts of odd lengths, a ragged tail
  const std::vector<float> one = Train(1, count);
  const std::vector<float> two = Train(2, count);
  const std::vector<float> three = Train(3, count);
  for (size_t i = 0; i < count; ++i) {
    ASSERT_EQ(one[i], two[i]) << i;
    ASSERT_EQ(one[i], three[i]) << i;
  }
}

}  // namespace
}  // namespace jobctl::trainer
