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

// Without AVX-512: one clone per instruction set, picked at load time.
__attribute__((target_clones("avx2", "default"))) void AdamUpdatePortable(
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

// GCC 12 warns falsely about the unused pass-through operand that the
// *_round_ intrinsics leave undefined.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

// The update of the lanes in `mask` of elements [i, i + 16). All four
// inputs are loaded before any output is stored: the compiler-vectorised
// loop this replaces reloaded m and p after storing m and v, and as the
// four buffers start at the same offset within a page, those loads waited
// on the stores (4K aliasing): 570 us per step on one core, 220 us now.
// `fused`: the multiply-adds as FMAs, g = fma(wd, p, grad),
// m = fma(b1, m, (1-b1) g), v = fma(b2, v, ((1-b2) g) g),
// denom = fma(sqrt(v), 1/sqrt(bc2), eps); otherwise rounded separately.
// Either way p -= (step_size m) / denom.
__attribute__((target("avx512f"))) inline void AdamLanes(const AdamConstants& k, float* params,
                                                         const float* grads, float* m, float* v,
                                                         size_t i, __mmask16 mask, bool fused) {
  constexpr int kRound = _MM_FROUND_CUR_DIRECTION;  // the *_round_ forms are never contracted
  const __m512 b1 = _mm512_set1_ps(k.b1);
  const __m512 b2 = _mm512_set1_ps(k.b2);
  const __m512 c1 = _mm512_set1_ps(1.0f - k.b1);
  const __m512 c2 = _mm512_set1_ps(1.0f - k.b2);
  const __m512 wd = _mm512_set1_ps(k.wd);
  const __m512 eps = _mm512_set1_ps(k.eps);
  const __m512 step_size = _mm512_set1_ps(k.step_size);
  const __m512 inv_sqrt_bc2 = _mm512_set1_ps(k.inv_sqrt_bc2);
  const __m512 p = _mm512_maskz_loadu_ps(mask, params + i);
  const __m512 grad = _mm512_maskz_loadu_ps(mask, grads + i);
  const __m512 m_old = _mm512_maskz_loadu_ps(mask, m + i);
  const __m512 v_old = _mm512_maskz_loadu_ps(mask, v + i);
  __m512 g;
  __m512 m_new;
  __m512 v_new;
  __m512 denom;
  if (fused) {
    g = _mm512_fmadd_ps(wd, p, grad);
    m_new = _mm512_fmadd_ps(b1, m_old, _mm512_mul_round_ps(c1, g, kRound));
    v_new = _mm512_fmadd_ps(b2, v_old,
                            _mm512_mul_round_ps(_mm512_mul_round_ps(c2, g, kRound), g, kRound));
    denom = _mm512_fmadd_ps(_mm512_maskz_sqrt_ps(mask, v_new), inv_sqrt_bc2, eps);
  } else {
    g = _mm512_add_round_ps(_mm512_mul_round_ps(wd, p, kRound), grad, kRound);
    m_new = _mm512_add_round_ps(_mm512_mul_round_ps(b1, m_old, kRound),
                                _mm512_mul_round_ps(c1, g, kRound), kRound);
    v_new = _mm512_add_round_ps(_mm512_mul_round_ps(b2, v_old, kRound),
                                _mm512_mul_round_ps(_mm512_mul_round_ps(c2, g, kRound), g, kRound),
                                kRound);
    denom = _mm512_add_round_ps(
        _mm512_mul_round_ps(_mm512_maskz_sqrt_ps(mask, v_new), inv_sqrt_bc2, kRound), eps, kRound);
  }
  const __m512 step =
      _mm512_div_round_ps(_mm512_mul_round_ps(step_size, m_new, kRound), denom, kRound);
  _mm512_mask_storeu_ps(m + i, mask, m_new);
  _mm512_mask_storeu_ps(v + i, mask, v_new);
  _mm512_mask_storeu_ps(params + i, mask, _mm512_sub_round_ps(p, step, kRound));
}

__attribute__((target("avx512f"))) __mmask16 FirstLanes(size_t n) {
  return static_cast<__mmask16>((1u << n) - 1u);
}

// With AVX-512, the roundings of the loop GCC 12 made of AdamUpdatePortable
// for AVX-512 (which the trainer used before, and its accuracy figures were
// measured with), element for element: 16 at a time fused; of the last
// 8-15, 8 unfused (its 256-bit epilogue had no FMA) and the rest fused; a
// range of at most 7 fused. Parts of a split start on multiples of 64, so
// only the very end of the buffer meets the epilogue, whatever the split.
__attribute__((target("avx512f"))) void AdamUpdateAvx512(const AdamConstants& k, float* params,
                                                         const float* grads, float* m, float* v,
                                                         size_t begin, size_t end) {
  if (end <= begin) return;
  if (end - begin <= 7) {
    AdamLanes(k, params, grads, m, v, begin, FirstLanes(end - begin), true);
    return;
  }
  size_t i = begin;
  for (; i + 16 <= end; i += 16) AdamLanes(k, params, grads, m, v, i, 0xFFFF, true);
  if (end - i >= 8) {
    AdamLanes(k, params, grads, m, v, i, 0xFF, false);
    i += 8;
  }
  if (i < end) AdamLanes(k, params, grads, m, v, i, FirstLanes(end - i), true);
}

#pragma GCC diagnostic pop

void AdamUpdate(const AdamConstants& k, float* params, const float* grads, float* m, float* v,
                size_t begin, size_t end) {
  static const bool avx512 = __builtin_cpu_supports("avx512f");
  if (avx512) {
    AdamUpdateAvx512(k, params, grads, m, v, begin, end);
  } else {
    AdamUpdatePortable(k, params, grads, m, v, begin, end);
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
  const int parts = 4 * ComputePool().size();
  ParallelForDynamic(
      static_cast<int64_t>(count), 64, 1 << 14, parts, [&](int64_t begin, int64_t end) {
        AdamUpdate(k, params, grads, m, v, static_cast<size_t>(begin), static_cast<size_t>(end));
      });
}

std::vector<std::pair<std::string, std::vector<float>*>> Adam::StateBuffers() {
  return {{"exp_avg", &exp_avg_}, {"exp_avg_sq", &exp_avg_sq_}};
}

}  // namespace jobctl::trainer
