// Whole training steps of the MNIST MLP (784-512-512-10, batch 64, Adam,
// cross-entropy) on MNIST-like inputs (81% zeros): forward, loss, backward
// and update, as the training loop runs them; the argument is the number of
// compute threads. The step's working set (weights, Adam's moments) is far
// larger than a core's L2, as in training, unlike the kernels alone
// (bench_mlp_kernels). Min is the figure for a machine shared with others.
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
  SetComputeThreads(static_cast<int>(state.range(0)));
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
    (*model)->Backward(grad);
    (*optimizer)->Step(params.values(), params.grads(), params.size());
    b = (b + 1) % kBatches;
  }
  SetComputeThreads(1);
}
BENCHMARK(BM_MlpStep)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->ComputeStatistics("min", Min)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace jobctl::trainer

BENCHMARK_MAIN();
