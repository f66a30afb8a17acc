// Times each layer of the CNN (forward and backward) on one batch of 64
// random samples: the best of N calls, in microseconds.
//   ./build/trainer/bench_cnn_layers [THREADS] [REPEATS]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "trainer/model/model_spec.h"
#include "trainer/model/sequential.h"
#include "trainer/tensor/rng.h"
#include "trainer/tensor/thread_pool.h"

using namespace jobctl::trainer;

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 1;
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 50;
  SetComputeThreads(threads);
  Pcg32 dropout_rng(1, 2);
  auto spec = ParseModelSpec("cnn");
  auto model = Sequential::Build(*spec, {}, &dropout_rng);
  if (!model.ok()) return 1;
  Pcg32 rng(3, 4);
  (*model)->Initialize(&rng);
  const auto& layers = (*model)->layers();
  const int batch = 64;
  std::vector<Tensor> acts(layers.size() + 1);
  acts[0].Resize(batch, 784);
  for (float& v : acts[0].data) v = std::max(0.0f, rng.Uniform(-1.0f, 2.0f));
  std::vector<double> fwd(layers.size(), 1e30);
  std::vector<double> bwd(layers.size(), 1e30);
  Tensor grads[2];
  using Clock = std::chrono::steady_clock;
  for (int r = 0; r < repeats; ++r) {
    for (size_t i = 0; i < layers.size(); ++i) {
      auto t0 = Clock::now();
      layers[i]->Forward(acts[i], &acts[i + 1], true);
      fwd[i] = std::min(fwd[i], std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    }
    Tensor* g = &grads[0];
    g->Resize(batch, acts.back().features);
    for (size_t j = 0; j < g->size(); ++j) g->data[j] = 0.01f * static_cast<float>(j % 7);
    for (size_t i = layers.size(); i-- > 0;) {
      Tensor* gi = i == 0 ? nullptr : (g == &grads[0] ? &grads[1] : &grads[0]);
      auto t0 = Clock::now();
      layers[i]->Backward(acts[i], acts[i + 1], *g, gi);
      bwd[i] = std::min(bwd[i], std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
      g = gi;
    }
  }
  double total = 0;
  for (size_t i = 0; i < layers.size(); ++i) {
    std::printf("%-40s fwd %8.1f us  bwd %8.1f us\n", layers[i]->Describe().c_str(), fwd[i], bwd[i]);
    total += fwd[i] + bwd[i];
  }
  std::printf("total %.1f us per step of %d\n", total, batch);
  return 0;
}
