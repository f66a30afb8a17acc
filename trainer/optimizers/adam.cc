#include "trainer/optimizers/adam.h"

#include <immintrin.h>

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

// Every element goes through the same operations, whatever its position in
// [begin, end) (no FMA contraction in a vector loop and not in its scalar
// tail), so the update gives the same bits however it is split across
// threads.
[[gnu::always_inline]] inline void AdamElement(const AdamConstants& k, float* params,
                                               const float* grads, float* m, float* v, size_t i) {
  const float g = grads[i] + k.wd * params[i];
  m[i] = k.b1 * m[i] + (1.0f - k.b1) * g;
  v[i] = k.b2 * v[i] + (1.0f - k.b2) * g * g;
  const float denom = std::sqrt(v[i]) * k.inv_sqrt_bc2 + k.eps;
  params[i] -= k.step_size * m[i] / denom;
}

// 16 elements at a time with AVX-512, the tail masked: the same operations
// as AdamElement, multiplies and adds kept apart (no FMA).
__attribute__((target("avx512f"))) void AdamUpdateAvx512(const AdamConstants& k, float* params,
                                                         const float* grads, float* m, float* v,
                                                         size_t begin, size_t end) {
  const __m512 b1 = _mm512_set1_ps(k.b1);
  const __m512 b2 = _mm512_set1_ps(k.b2);
  const __m512 one_minus_b1 = _mm512_set1_ps(1.0f - k.b1);
  const __m512 one_minus_b2 = _mm512_set1_ps(1.0f - k.b2);
  const __m512 wd = _mm512_set1_ps(k.wd);
  const __m512 eps = _mm512_set1_ps(k.eps);
  const __m512 step_size = _mm512_set1_ps(k.step_size);
  const __m512 inv_sqrt_bc2 = _mm512_set1_ps(k.inv_sqrt_bc2);
  for (size_t i = begin; i < end; i += 16) {
    const __mmask16 mask = end - i >= 16 ? static_cast<__mmask16>(0xFFFF)
                                         : static_cast<__mmask16>((1u << (end - i)) - 1u);
    const __m512 p = _mm512_maskz_loadu_ps(mask, params + i);
    const __m512 g = _mm512_add_ps(_mm512_maskz_loadu_ps(mask, grads + i), _mm512_mul_ps(wd, p));
    const __m512 mi = _mm512_add_ps(_mm512_mul_ps(b1, _mm512_maskz_loadu_ps(mask, m + i)),
                                    _mm512_mul_ps(one_minus_b1, g));
    const __m512 vi = _mm512_add_ps(_mm512_mul_ps(b2, _mm512_maskz_loadu_ps(mask, v + i)),
                                    _mm512_mul_ps(_mm512_mul_ps(one_minus_b2, g), g));
    const __m512 denom =
        _mm512_add_ps(_mm512_mul_ps(_mm512_maskz_sqrt_ps(mask, vi), inv_sqrt_bc2), eps);
    const __m512 pi = _mm512_sub_ps(p, _mm512_div_ps(_mm512_mul_ps(step_size, mi), denom));
    _mm512_mask_storeu_ps(m + i, mask, mi);
    _mm512_mask_storeu_ps(v + i, mask, vi);
    _mm512_mask_storeu_ps(params + i, mask, pi);
  }
}

void AdamUpdate(const AdamConstants& k, float* params, const float* grads, float* m, float* v,
                size_t begin, size_t end) {
  static const bool avx512 = __builtin_cpu_supports("avx512f");
  if (avx512) {
    AdamUpdateAvx512(k, params, grads, m, v, begin, end);
    return;
  }
  for (size_t i = begin; i < end; ++i) AdamElement(k, params, grads, m, v, i);
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
  ParallelFor(static_cast<int64_t>(count), 64, 1 << 15, [&](int64_t begin, int64_t end) {
    AdamUpdate(k, params, grads, m, v, static_cast<size_t>(begin), static_cast<size_t>(end));
  });
}

std::vector<std::pair<std::string, std::vector<float>*>> Adam::StateBuffers() {
  return {{"exp_avg", &exp_avg_}, {"exp_avg_sq", &exp_avg_sq_}};
}

}  // namespace jobctl::trainer
