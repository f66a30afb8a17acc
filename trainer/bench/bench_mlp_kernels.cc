// The kernels of one training step of the MNIST MLP (784-512-512-10, batch
// 64) one by one, on one core: the first layer's sparse forward and weight
// gradient (per 256 output columns, one thread's share with two threads),
// the hidden layer's three 64x512x512 GEMMs, the sparse transpose, and
// Adam over the model's 669,706 parameters. Reports mean, median and min
// of the repetitions; min is the figure for a machine shared with others.
//   ./build/trainer/bench_mlp_kernels --benchmark_repetitions=20 --benchmark_report_aggregates_only
#include <benchmark/benchmark.h>

#include <algorithm>
#include <vector>

#include "trainer/optimizers/optimizer.h"
#include "trainer/tensor/blas.h"
#include "trainer/tensor/rng.h"
#include "trainer/tensor/sparse_matrix.h"

namespace jobctl::trainer {
namespace {

constexpr int kBatch = 64;
constexpr int kIn = 784;
constexpr int kHidden = 512;

double Min(const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); }

// MNIST-like input: 81% zeros.
struct FirstLayer {
  std::vector<float> x, wt, bias, y, dy, dwt;
  SparseRows rows, columns;
  FirstLayer()
      : x(kBatch * kIn),
        wt(kIn * kHidden),
        bias(kHidden),
        y(kBatch * kHidden),
        dy(kBatch * kHidden),
        dwt(kIn * kHidden) {
    Pcg32 rng(1, 2);
    for (float& v : x) v = rng.Uniform(0.0f, 1.0f) < 0.81f ? 0.0f : rng.Uniform(0.0f, 1.0f);
    for (float& v : wt) v = rng.Uniform(-0.05f, 0.05f);
    for (float& v : dy) v = rng.Uniform(-0.01f, 0.01f);
    rows.FromDense(x.data(), kBatch, kIn, kIn);
    columns.TransposeOf(rows);
  }
};

void BM_SparseForward256(benchmark::State& state) {
  FirstLayer l;
  for (auto _ : state) {
    SparseTimesDense(l.rows, l.wt.data(), kHidden, l.bias.data(), l.y.data(), kHidden, 0, 256);
    benchmark::DoNotOptimize(l.y.data());
  }
}
BENCHMARK(BM_SparseForward256)->ComputeStatistics("min", Min)->Unit(benchmark::kMicrosecond);

void BM_SparseWeightGradient256(benchmark::State& state) {
  FirstLayer l;
  for (auto _ : state) {
    SparseTimesDense(l.columns, l.dy.data(), kHidden, nullptr, l.dwt.data(), kHidden, 0, 256);
    benchmark::DoNotOptimize(l.dwt.data());
  }
}
BENCHMARK(BM_SparseWeightGradient256)->ComputeStatistics("min", Min)->Unit(benchmark::kMicrosecond);

void BM_SparseTranspose(benchmark::State& state) {
  FirstLayer l;
  for (auto _ : state) {
    l.columns.TransposeOf(l.rows);
    benchmark::DoNotOptimize(l.columns.value.data());
  }
}
BENCHMARK(BM_SparseTranspose)->ComputeStatistics("min", Min)->Unit(benchmark::kMicrosecond);

// 0: forward (nn), 1: input gradient (nt), 2: weight gradient (tn).
void BM_HiddenGemm(benchmark::State& state) {
  Pcg32 rng(3, 4);
  std::vector<float> a(kBatch * kHidden), w(kHidden * kHidden), c(kBatch * kHidden);
  for (float& v : a) v = rng.Uniform(-1.0f, 1.0f);
  for (float& v : w) v = rng.Uniform(-0.05f, 0.05f);
  const int which = static_cast<int>(state.range(0));
  for (auto _ : state) {
    if (which == 0) {
      GemmSerial(false, false, kBatch, kHidden, kHidden, 1.0f, a.data(), kHidden, w.data(), kHidden,
                 0.0f, c.data(), kHidden);
    } else if (which == 1) {
      GemmSerial(false, true, kBatch, kHidden, kHidden, 1.0f, a.data(), kHidden, w.data(), kHidden,
                 0.0f, c.data(), kHidden);
    } else {
      GemmSerial(true, false, kHidden, kHidden, kBatch, 1.0f, a.data(), kHidden, c.data(), kHidden,
                 0.0f, w.data(), kHidden);
    }
    benchmark::DoNotOptimize(c.data());
    benchmark::DoNotOptimize(w.data());
  }
}
BENCHMARK(BM_HiddenGemm)
    ->Arg(0)
    ->Arg(1)
    ->Arg(2)
    ->ComputeStatistics("min", Min)
    ->Unit(benchmark::kMicrosecond);

void BM_AdamStep(benchmark::State& state) {
  const size_t count = 669706;
  std::vector<float> p(count, 0.5f), g(count, 0.01f);
  auto optimizer = CreateOptimizer(OptimizerConfig{}, count);
  for (auto _ : state) {
    (*optimizer)->Step(p.data(), g.data(), count);
    benchmark::DoNotOptimize(p.data());
  }
}
BENCHMARK(BM_AdamStep)->ComputeStatistics("min", Min)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace jobctl::trainer

BENCHMARK_MAIN();
