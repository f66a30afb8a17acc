// Adam's AVX-512 update rounds element by element as documented in adam.cc
// (the roundings of the compiler-vectorised loop it replaced): 16 at a time
// with FMAs; of a remainder of 8-15, the first 8 without FMAs and the rest
// with; a range of at most 7 with FMAs. Checked against a scalar reference,
// bit for bit.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "trainer/optimizers/optimizer.h"
#include "trainer/tensor/rng.h"

namespace jobctl::trainer {
namespace {

struct Reference {
  float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f, lr = 1e-3f, wd = 0.0f;
  std::vector<float> m, v;
  int steps = 0;

  void Step(std::vector<float>* p, const std::vector<float>& grad) {
    const size_t n = p->size();
    m.resize(n);
    v.resize(n);
    ++steps;
    const float bc1 = static_cast<float>(1.0 - std::pow(double{b1}, steps));
    const float bc2 = static_cast<float>(1.0 - std::pow(double{b2}, steps));
    const float step_size = lr / bc1;
    const float inv = 1.0f / std::sqrt(bc2);
    const size_t body = n <= 7 ? 0 : n / 16 * 16;
    for (size_t i = 0; i < n; ++i) {
      const bool unfused = n > 7 && i >= body && i < body + 8 && n - body >= 8;
      float& pi = (*p)[i];
      float g;
      float denom;
      if (unfused) {
        g = wd * pi + grad[i];
        m[i] = b1 * m[i] + (1.0f - b1) * g;
        v[i] = b2 * v[i] + ((1.0f - b2) * g) * g;
        denom = std::sqrt(v[i]) * inv + eps;
      } else {
        g = std::fma(wd, pi, grad[i]);
        m[i] = std::fma(b1, m[i], (1.0f - b1) * g);
        v[i] = std::fma(b2, v[i], ((1.0f - b2) * g) * g);
        denom = std::fma(std::sqrt(v[i]), inv, eps);
      }
      pi = pi - (step_size * m[i]) / denom;
    }
  }
};

TEST(AdamKernelTest, RoundsAsDocumentedForEveryRangeLength) {
  if (!__builtin_cpu_supports("avx512f")) GTEST_SKIP() << "no AVX-512: the portable loop runs";
  Pcg32 rng(12, 3);
  std::vector<size_t> lengths;
  for (size_t n = 1; n <= 48; ++n) lengths.push_back(n);
  for (size_t n = 1000; n <= 1016; ++n) lengths.push_back(n);
  for (float wd : {0.0f, 0.01f}) {
    for (size_t n : lengths) {
      OptimizerConfig config;
      config.weight_decay = wd;
      auto optimizer = CreateOptimizer(config, n);
      ASSERT_TRUE(optimizer.ok());
      Reference ref;
      ref.wd = wd;
      std::vector<float> p(n);
      for (float& x : p) x = rng.Uniform(-1.0f, 1.0f);
      std::vector<float> want = p;
      std::vector<float> g(n);
      for (int step = 0; step < 3; ++step) {
        for (float& x : g) x = rng.Uniform(-0.3f, 0.3f);
        (*optimizer)->Step(p.data(), g.data(), n);  // one thread: one range [0, n)
        ref.Step(&want, g);
        for (size_t i = 0; i < n; ++i) {
          ASSERT_EQ(p[i], want[i]) << "n " << n << " step " << step << " [" << i << "] wd " << wd;
        }
      }
    }
  }
}

}  // namespace
}  // namespace jobctl::trainer
