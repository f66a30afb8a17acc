// With two compute threads, a hidden Linear layer's backward runs its two
// GEMMs (input and weight gradients) one per thread, each whole: the
// gradients are bit for bit those of one thread.
#include <gtest/gtest.h>

#include <vector>

#include "trainer/model/model_spec.h"
#include "trainer/model/sequential.h"
#include "trainer/tensor/rng.h"
#include "trainer/tensor/thread_pool.h"

namespace jobctl::trainer {
namespace {

std::vector<float> Gradients(int threads, Activation activation) {
  SetComputeThreads(threads);
  Result<ModelSpec> spec = ParseModelSpec("mlp:300-256-256-10");
  EXPECT_TRUE(spec.ok());
  Pcg32 dropout_rng(1, 2);
  auto model = Sequential::Build(*spec, {activation, 0.0f}, &dropout_rng);
  EXPECT_TRUE(model.ok());
  Pcg32 rng(21, 1);
  (*model)->Initialize(&rng);
  Tensor x;
  x.Resize(64, 300);  // 80% zeros: the first layer's sparse kernels
  for (float& v : x.data) v = rng.Uniform(0.0f, 1.0f) < 0.8f ? 0.0f : rng.Uniform(0.0f, 1.0f);
  const Tensor& y = (*model)->Forward(x, true);
  Tensor dy;
  dy.Resize(y.batch, y.features);
  for (float& v : dy.data) v = rng.Uniform(-1.0f, 1.0f);
  (*model)->Backward(dy);
  const ParameterBuffer& p = (*model)->params();
  std::vector<float> grads(p.grads(), p.grads() + p.size());
  SetComputeThreads(1);
  return grads;
}

TEST(LinearTasksTest, TwoThreadsGiveTheBitsOfOne) {
  // tanh: dense hidden inputs (the GEMM path); ReLU: whichever the data give.
  for (Activation activation : {Activation::kTanh, Activation::kRelu}) {
    const std::vector<float> one = Gradients(1, activation);
    const std::vector<float> two = Gradients(2, activation);
    ASSERT_EQ(one.size(), two.size());
    for (size_t i = 0; i < one.size(); ++i) ASSERT_EQ(one[i], two[i]) << i;
  }
}

}  // namespace
}  // namespace jobctl::trainer
