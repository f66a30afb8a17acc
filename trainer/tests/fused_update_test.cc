// A model whose layers fuse the optimizer's update into the backward pass
// (Sequential::BackwardAndUpdate) ends each step where Backward followed by
// Optimizer::Step ends, for every optimizer, dense and sparse inputs, with
// dropout; the same bits on one thread and two; and the optimizers' update
// in pieces (BeginStep + UpdateRange) gives Step's bits.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "trainer/model/model_spec.h"
#include "trainer/model/sequential.h"
#include "trainer/optimizers/optimizer.h"
#include "trainer/tensor/rng.h"
#include "trainer/tensor/thread_pool.h"

namespace jobctl::trainer {
namespace {

std::vector<OptimizerConfig> Optimizers() {
  OptimizerConfig adam;
  adam.weight_decay = 0.01f;
  OptimizerConfig sgd;
  sgd.name = "sgd";
  sgd.momentum = 0.9f;
  sgd.nesterov = true;
  sgd.weight_decay = 0.001f;
  OptimizerConfig adadelta;
  adadelta.name = "adadelta";
  return {adam, sgd, adadelta};
}

struct Trained {
  std::vector<float> params;
  std::vector<float> state;  // every optimizer state buffer, one after another
};

// Three steps of `spec` on batches of 64; `fused` picks BackwardAndUpdate.
Trained Train(const std::string& spec_text, Activation activation, float dropout,
              const OptimizerConfig& config, bool fused, int threads, double input_density) {
  SetComputeThreads(threads);
  Result<ModelSpec> spec = ParseModelSpec(spec_text);
  EXPECT_TRUE(spec.ok());
  Pcg32 dropout_rng(7, 2);
  auto model = Sequential::Build(*spec, {activation, dropout}, &dropout_rng);
  EXPECT_TRUE(model.ok());
  Pcg32 rng(21, 1);
  (*model)->Initialize(&rng);
  ParameterBuffer& p = (*model)->params();
  auto optimizer = CreateOptimizer(config, p.size());
  EXPECT_TRUE(optimizer.ok());
  Tensor x;
  Tensor dy;
  for (int step = 0; step < 3; ++step) {
    x.Resize(64, (*model)->in_features());
    for (float& v : x.data) {
      v = rng.Uniform(0.0f, 1.0f) < input_density ? rng.Uniform(-1.0f, 1.0f) : 0.0f;
    }
    const Tensor& y = (*model)->Forward(x, true);
    dy.Resize(y.batch, y.features);
    for (float& v : dy.data) v = rng.Uniform(-1.0f, 1.0f);
    if (fused) {
      (*model)->BackwardAndUpdate(dy, optimizer->get());
    } else {
      (*model)->Backward(dy);
      (*optimizer)->Step(p.values(), p.grads(), p.size());
    }
  }
  Trained out;
  out.params.assign(p.values(), p.values() + p.size());
  for (const auto& [name, buffer] : (*optimizer)->StateBuffers()) {
    out.state.insert(out.state.end(), buffer->begin(), buffer->end());
  }
  EXPECT_EQ((*optimizer)->steps(), 3);
  SetComputeThreads(1);
  return out;
}

void ExpectNear(const std::vector<float>& a, const std::vector<float>& b, float tolerance,
                const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  ASSERT_FALSE(a.empty()) << what;
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_NEAR(a[i], b[i], tolerance * std::max(1.0f, std::abs(a[i]))) << what << " [" << i << "]";
  }
}

TEST(FusedUpdateTest, EqualsBackwardThenStep) {
  struct Case {
    const char* spec;
    Activation activation;
    float dropout;
    double density;  // of the input: below one half takes the sparse kernels
  };
  const Case cases[] = {
      {"mlp:300-256-130-10", Activation::kRelu, 0.0f, 0.2},
      {"mlp:300-256-130-10", Activation::kTanh, 0.25f, 1.0},
      {"mlp:784-512-512-10", Activation::kRelu, 0.0f, 0.19},
      {"logreg:33-4", Activation::kRelu, 0.0f, 1.0},
  };
  for (const Case& c : cases) {
    for (const OptimizerConfig& config : Optimizers()) {
      const std::string what = std::string(c.spec) + " " + config.name;
      const Trained reference = Train(c.spec, c.activation, c.dropout, config, false, 1, c.density);
      const Trained fused = Train(c.spec, c.activation, c.dropout, config, true, 1, c.density);
      // The weight gradients are summed in blocks of rows: the same terms,
      // possibly rounded in another order.
      ExpectNear(reference.params, fused.params, 1e-5f, what + " params");
      ExpectNear(reference.state, fused.state, 1e-5f, what + " state");
    }
  }
}

TEST(FusedUpdateTest, TwoThreadsGiveTheBitsOfOne) {
  for (const OptimizerConfig& config : Optimizers()) {
    const Trained one = Train("mlp:300-256-130-10", Activation::kRelu, 0.0f, config, true, 1, 0.2);
    const Trained two = Train("mlp:300-256-130-10", Activation::kRelu, 0.0f, config, true, 2, 0.2);
    ASSERT_EQ(one.params, two.params) << config.name;
    ASSERT_EQ(one.state, two.state) << config.name;
  }
}

TEST(FusedUpdateTest, OnlyModelsOfFusingLayers) {
  Pcg32 dropout_rng(1, 2);
  for (const char* text : {"mlp:4-5-5-3", "logreg:4-3"}) {
    auto model = Sequential::Build(*ParseModelSpec(text), {Activation::kRelu, 0.5f}, &dropout_rng);
    ASSERT_TRUE(model.ok());
    EXPECT_TRUE((*model)->CanFuseUpdate()) << text;
  }
  auto cnn = Sequential::Build(*ParseModelSpec("cnn"), {}, &dropout_rng);
  ASSERT_TRUE(cnn.ok());
  EXPECT_FALSE((*cnn)->CanFuseUpdate());
}

// Pieces of 64-multiple lengths (and a ragged last), updated out of order
// from gradients held elsewhere, give Step's bits.
TEST(FusedUpdateTest, UpdateRangeInPiecesEqualsStep) {
  const size_t count = 5 * 64 * 7 + 29;
  const size_t cuts[] = {0, 64 * 7, 64 * 8, 64 * 20, count};
  for (const OptimizerConfig& config : Optimizers()) {
    auto whole = CreateOptimizer(config, count);
    auto pieces = CreateOptimizer(config, count);
    ASSERT_TRUE(whole.ok() && pieces.ok());
    Pcg32 rng(5, 6);
    std::vector<float> p(count);
    for (float& v : p) v = rng.Uniform(-1.0f, 1.0f);
    std::vector<float> q = p;
    std::vector<float> g(count);
    for (int step = 0; step < 3; ++step) {
      for (float& v : g) v = rng.Uniform(-0.5f, 0.5f);
      (*whole)->Step(p.data(), g.data(), count);
      (*pieces)->BeginStep();
      for (size_t k = std::size(cuts) - 1; k-- > 0;) {
        const std::vector<float> tile(g.begin() + cuts[k], g.begin() + cuts[k + 1]);
        (*pieces)->UpdateRange(q.data() + cuts[k], tile.data(), cuts[k], cuts[k + 1] - cuts[k]);
      }
    }
    ASSERT_EQ(p, q) << config.name;
    EXPECT_EQ((*pieces)->steps(), 3);
    auto a = (*whole)->StateBuffers();
    auto b = (*pieces)->StateBuffers();
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(*a[i].second, *b[i].second) << config.name;
  }
}

}  // namespace
}  // namespace jobctl::trainer
