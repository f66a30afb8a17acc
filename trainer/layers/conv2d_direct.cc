#include "trainer/layers/conv2d_direct.h"

#include <immintrin.h>

#include <algorithm>

namespace jobctl::trainer {
namespace {

#define JOBCTL_VECTOR_CLONES \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))

constexpr int kLanes = 16;

// Fixed-order sums in 16 interleaved lanes (a vector register's worth), then
// the lanes in order, so every instruction set gives the same order.
inline float ReduceLanes(const float* lanes) {
  float sum = 0.0f;
  for (int l = 0; l < kLanes; ++l) sum += lanes[l];
  return sum;
}

// Copies grad_out's rows of one channel into wide rows, zeroing the columns
// after each row's out_width values.
inline void Widen(const PlaneGeometry& g, const float* rows, float* wide) {
  const int oh = g.out_height();
  const int ow = g.out_width();
  for (int y = 0; y < oh; ++y) {
    const float* src = rows + static_cast<long>(y) * ow;
    float* dst = wide + static_cast<long>(y) * g.width;
    for (int x = 0; x < ow; ++x) dst[x] = src[x];
    if (y + 1 < oh) {
      for (int x = ow; x < g.width; ++x) dst[x] = 0.0f;
    }
  }
}

// AVX-512 versions: one output row at a time in blocks of 16 pixels (the
// last one masked), so no wide scratch is needed. Forward keeps the k*k
// shifted input vectors of a block in registers and produces every output
// channel from them; the weight gradient keeps one accumulator per tap.

__attribute__((target("avx512f"))) inline float ReduceAvx512(__m512 v) {
  alignas(64) float lanes[kLanes];
  _mm512_store_ps(lanes, v);
  return ReduceLanes(lanes);
}

template <int k>
__attribute__((target("avx512f"))) void ForwardAvx512(const PlaneGeometry& g, int out_channels,
                                                      const float* in, const float* weight,
                                                      const float* bias, float* out) {
  constexpr int taps = k * k;
  const int oh = g.out_height();
  const int ow = g.out_width();
  const int pixels = g.pixels();
  __m512 x[taps];
  for (int y = 0; y < oh; ++y) {
    for (int x0 = 0; x0 < ow; x0 += 16) {
      const int lanes = std::min(16, ow - x0);
      const __mmask16 mask = static_cast<__mmask16>((1u << lanes) - 1u);
      for (int i = 0; i < k; ++i) {
        for (int j = 0; j < k; ++j) {
          x[i * k + j] = _mm512_maskz_loadu_ps(mask, in + (y + i) * g.width + x0 + j);
        }
      }
      float* dst = out + y * ow + x0;
      for (int oc = 0; oc < out_channels; ++oc) {
        const float* w = weight + oc * taps;
        __m512 acc = _mm512_set1_ps(bias[oc]);
        for (int t = 0; t < taps; ++t) acc = _mm512_fmadd_ps(_mm512_set1_ps(w[t]), x[t], acc);
        _mm512_mask_storeu_ps(dst + static_cast<long>(oc) * pixels, mask, acc);
      }
    }
  }
}

template <int k>
__attribute__((target("avx512f"))) void WeightGradAvx512(const PlaneGeometry& g, int out_channels,
                                                         const float* in, const float* grad_out,
                                                         float* dw, float* db) {
  constexpr int taps = k * k;
  const int oh = g.out_height();
  const int ow = g.out_width();
  const int pixels = g.pixels();
  for (int oc = 0; oc < out_channels; ++oc) {
    const float* dy = grad_out + static_cast<long>(oc) * pixels;
    __m512 acc[taps];
    for (int t = 0; t < taps; ++t) acc[t] = _mm512_setzero_ps();
    __m512 acc_b = _mm512_setzero_ps();
    for (int y = 0; y < oh; ++y) {
      for (int x0 = 0; x0 < ow; x0 += 16) {
        const int lanes = std::min(16, ow - x0);
        const __mmask16 mask = static_cast<__mmask16>((1u << lanes) - 1u);
        const __m512 d = _mm512_maskz_loadu_ps(mask, dy + y * ow + x0);
        acc_b = _mm512_add_ps(acc_b, d);
        for (int i = 0; i < k; ++i) {
          const float* src = in + (y + i) * g.width + x0;
          for (int j = 0; j < k; ++j) {
            acc[i * k + j] =
                _mm512_fmadd_ps(d, _mm512_maskz_loadu_ps(mask, src + j), acc[i * k + j]);
          }
        }
      }
    }
    db[oc] += ReduceAvx512(acc_b);
    float* w = dw + static_cast<long>(oc) * taps;
    for (int t = 0; t < taps; ++t) w[t] += ReduceAvx512(acc[t]);
  }
}

bool HasAvx512() {
  static const bool has = __builtin_cpu_supports("avx512f");
  return has;
}

}  // namespace

JOBCTL_VECTOR_CLONES
void DirectConvForwardPortable(const PlaneGeometry& g, int out_channels, const float* in,
                               const float* weight, const float* bias, float* wide, float* out) {
  const int k = g.kernel;
  const int span = g.span();
  const int ow = g.out_width();
  for (int oc = 0; oc < out_channels; ++oc) {
    const float* w = weight + static_cast<long>(oc) * k * k;
    const float b = bias[oc];
    for (int q = 0; q < span; ++q) wide[q] = b;
    for (int i = 0; i < k; ++i) {
      for (int j = 0; j < k; ++j) {
        const float wt = w[i * k + j];
        const float* src = in + i * g.width + j;
        for (int q = 0; q < span; ++q) wide[q] += wt * src[q];
      }
    }
    float* dst = out + static_cast<long>(oc) * g.pixels();
    for (int y = 0; y < g.out_height(); ++y) {
      const float* row = wide + static_cast<long>(y) * g.width;
      for (int x = 0; x < ow; ++x) dst[y * ow + x] = row[x];
    }
  }
}

JOBCTL_VECTOR_CLONES
void DirectConvWeightGradPortable(const PlaneGeometry& g, int out_channels, const float* in,
                                  const float* grad_out, float* wide, float* dw, float* db) {
  const int k = g.kernel;
  const int span = g.span();
  const int pixels = g.pixels();
  for (int oc = 0; oc < out_channels; ++oc) {
    const float* dy = grad_out + static_cast<long>(oc) * pixels;
    Widen(g, dy, wide);
    float lanes[kLanes] = {};
    int q = 0;
    for (; q + kLanes <= span; q += kLanes) {
      for (int l = 0; l < kLanes; ++l) lanes[l] += wide[q + l];
    }
    for (; q < span; ++q) lanes[0] += wide[q];
    db[oc] += ReduceLanes(lanes);
    float* w = dw + static_cast<long>(oc) * k * k;
    for (int i = 0; i < k; ++i) {
      for (int j = 0; j < k; ++j) {
        const float* src = in + i * g.width + j;
        float acc[kLanes] = {};
        int p = 0;
        for (; p + kLanes <= span; p += kLanes) {
          for (int l = 0; l < kLanes; ++l) acc[l] += wide[p + l] * src[p + l];
        }
        for (; p < span; ++p) acc[0] += wide[p] * src[p];
        w[i * k + j] += ReduceLanes(acc);
      }
    }
  }
}

JOBCTL_VECTOR_CLONES
void DirectConvInputGrad(const PlaneGeometry& g, int out_channels, const float* weight,
                         const float* grad_out, float* wide, float* grad_in) {
  const int k = g.kernel;
  const int span = g.span();
  std::fill(grad_in, grad_in + static_cast<long>(g.height) * g.width, 0.0f);
  for (int oc = 0; oc < out_channels; ++oc) {
    Widen(g, grad_out + static_cast<long>(oc) * g.pixels(), wide);
    const float* w = weight + static_cast<long>(oc) * k * k;
    for (int i = 0; i < k; ++i) {
      for (int j = 0; j < k; ++j) {
        const float wt = w[i * k + j];
        float* dst = grad_in + i * g.width + j;
        for (int q = 0; q < span; ++q) dst[q] += wt * wide[q];
      }
    }
  }
}

void DirectConvForward(const PlaneGeometry& g, int out_channels, const float* in,
                       const float* weight, const float* bias, float* wide, float* out) {
  if (HasAvx512() && g.kernel == 3) {
    ForwardAvx512<3>(g, out_channels, in, weight, bias, out);
    return;
  }
  DirectConvForwardPortable(g, out_channels, in, weight, bias, wide, out);
}

void DirectConvWeightGrad(const PlaneGeometry& g, int out_channels, const float* in,
                          const float* grad_out, float* wide, float* dw, float* db) {
  if (HasAvx512() && g.kernel == 3) {
    WeightGradAvx512<3>(g, out_channels, in, grad_out, dw, db);
    return;
  }
  DirectConvWeightGradPortable(g, out_channels, in, grad_out, wide, dw, db);
}

}  // namespace jobctl::trainer
