#include "trainer/optimizers/adam.h"

#include <cmath>

#include "trainer/tensor/thread_pool.h"

namespace jobctl::trainer {
namespace {

struct AdamConstants {
  float b1;
  float b2;
  float wd;
  float eps;
  float step_size;
  float inv_sqrt_bc2;
};

// One clone per instruction set, picked at load time: the same operations in
// the same order per element, just more elements per instruction.
__attribute__((target_clones("avx512f", "avx2", "default"))) void AdamUpdate(
    const AdamConstants& k, float* params, const float* grads, float* m, float* v, size_t begin,
    size_t end) {
  const float b1 = k.b1;
  const float b2 = k.b2;
  const float wd = k.wd;
  const float eps = k.eps;
  const float step_size = k.step_size;
  const float inv_sqrt_bc2 = k.inv_sqrt_bc2;
  for (size_t i = begin; i < end; ++i) {
    const float g = grads[i] + wd * params[i];
    m[i] = b1 * m[i] + (1.0f - b1) * g;
    v[i] = b2 * v[i] + (1.0f - b2) * g * g;
    const float denom = std::sqrt(v[i]) * inv_sqrt_bc2 + eps;
    params[i] -= step_size * m[i] / denom;
  }
}

}  // namespace

Adam::Adam(float lr, float beta1, float beta2, float eps, float weight_decay, size_t count)
    : lr_(lr),
      beta1_(beta1),
      beta2_(beta2),
      eps_(eps),
      weight_decay_(weight_decay),
      exp_avg_(count, 0.0f),
      exp_avg_sq_(count, 0.0f) {}

void Adam::Step(float* params, const float* grads, size_t count) {
  ++steps_;
  const double t = static_cast<double>(steps_);
  const float bias_correction1 = static_cast<float>(1.0 - std::pow(double{beta1_}, t));
  const float bias_correction2 = static_cast<float>(1.0 - std::pow(double{beta2_}, t));
  const float step_size = lr_ / bias_correction1;
  const float inv_sqrt_bc2 = 1.0f / std::sqrt(bias_correction2);
  const AdamConstants k{beta1_, beta2_, weight_decay_, eps_, step_size, inv_sqrt_bc2};
  float* m = exp_avg_.data();
  float* v = exp_avg_sq_.data();
  // Parts claimed by whichever thread is free; each starts on a 64-element
  // boundary, so the cut never changes the result.
  ParallelForDynamic(static_cast<int64_t>(count), 64, 1 << 14, 4 * ComputePool().size(),
                     [&](int64_t begin, int64_t end) {
                       AdamUpdate(k, params, grads, m, v, static_cast<size_t>(begin),
                                  static_cast<size_t>(end));
                     });
}

std::vector<std::pair<std::string, std::vector<float>*>> Adam::StateBuffers() {
  return {{"exp_avg", &exp_avg_}, {"exp_avg_sq", &exp_avg_sq_}};
}

}  // namespace jobctl::trainer
