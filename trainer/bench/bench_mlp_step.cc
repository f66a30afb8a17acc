// Whole training steps of the MNIST MLP (784-512-512-10, batch 64, Adam,
// cross-entropy) on MNIST-like inputs (81% zeros): forward, loss, backward
// and update, as the training loop runs them. Arguments: {fused, threads};
// fused = 0 is Backward then Optimizer::Step (what several ranks do around
// their all-reduce), 1 is Sequential::BackwardAndUpdate (one process). The
// step's working set (weights, Adam's moments) is far larger than a core's
// L2, as in training. Min is the figure for a machine shared with others.
//   ./build/trainer/bench_mlp_step --benchmark_repetitions=10 --benchmark_report_aggregates_only
#include <benchmark/benchmark.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "trainer/losses/loss.h"
#include "trainer/model/model_spec.h"
#include "trainer/model/sequential.h"
#include "trainer/optimizers/optimizer.h"
#include "trainer/tensor/rng.h"
#include "trainer/tensor/thread_pool.h"

namespace jobctl::trainer {
namespace {

double Min(const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); }

void BM_MlpStep(benchmark::State& state) {
  const bool fused = state.range(0) != 0;
  SetComputeThreads(static_cast<int>(state.range(1)));
  Pcg32 dropout_rng(1, 2);
  auto model = Sequential::Build(*ParseModelSpec("mlp:784-512-512-10"), {}, &dropout_rng);
  Pcg32 rng(3, 4);
  (*model)->Initialize(&rng);
  ParameterBuffer& params = (*model)->params();
  auto optimizer = CreateOptimizer(OptimizerConfig{}, params.size());
  auto loss = CreateLoss("cross_entropy");
  // A pool of batches, so the input is not always the same few cache lines.
  constexpr int kBatches = 16;
  std::vector<Tensor> batches(kBatches);
  std::vector<std::vector<int>> labels(kBatches, std::vector<int>(64));
  for (int b = 0; b < kBatches; ++b) {
    batches[b].Resize(64, 784);
    for (float& v : batches[b].data)
      v = rng.Uniform(0.0f, 1.0f) < 0.81f ? 0.0f : rng.Uniform(0.0f, 1.0f);
    for (int& label : labels[b]) label = static_cast<int>(rng.Uniform(0.0f, 9.99f));
  }
  Tensor grad;
  int b = 0;
  for (auto _ : state) {
    const Tensor& out = (*model)->Forward(batches[b], true);
    (*loss)->Compute(out, labels[b].data(), &grad);
    if (fused) {
      (*model)->BackwardAndUpdate(grad, optimizer->get());
    } else {
      (*model)->Backward(grad);
      (*optimizer)->Step(params.values(), params.grads(), params.size());
    }
    b = (b + 1) % kBatches;
  }
  SetComputeThreads(1);
}
BENCHMARK(BM_MlpStep)
    ->ArgNames({"fused", "threads"})
    ->Args({0, 1})
    ->Args({1, 1})
    ->Args({0, 2})
    ->Args({1, 2})
    ->ComputeStatistics("min", Min)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace jobctl::trainer

BENCHMARK_MAIN();
