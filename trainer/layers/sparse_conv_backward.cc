#include "trainer/layers/sparse_conv_backward.h"

#include <immintrin.h>

#include <vector>

namespace jobctl::trainer {
namespace {

struct Hit {
  float grad;
  int oy;
  int ox;
};

// The winning pixels of output channel oc, in pooled order; adds their
// gradients to dbias[oc].
inline void CollectHits(const uint8_t* codes, const float* grad, int oc, int pooled_height,
                        int pooled_width, float* dbias, std::vector<Hit>* hits) {
  hits->clear();
  const long pooled = static_cast<long>(pooled_height) * pooled_width;
  for (int py = 0; py < pooled_height; ++py) {
    for (int px = 0; px < pooled_width; ++px) {
      const long o = oc * pooled + py * pooled_width + px;
      const int code = codes[o];
      if (code > 3) continue;
      hits->push_back({grad[o], 2 * py + code / 2, 2 * px + code % 2});
      dbias[oc] += grad[o];
    }
  }
}

// Any channel count: plain loops over the channels.
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"))) void BackwardAny(
    const ConvGeometry& g, const uint8_t* codes, const float* grad, int pooled_height,
    int pooled_width, const float* in_hwc, const float* weight_t, float* dweight_t, float* dbias,
    float* dx_hwc) {
  const int k = g.kernel;
  const int channels = g.in_channels;
  thread_local std::vector<Hit> hits;
  for (int oc = 0; oc < g.out_channels; ++oc) {
    CollectHits(codes, grad, oc, pooled_height, pooled_width, dbias, &hits);
    for (int ki = 0; ki < k; ++ki) {
      for (int kj = 0; kj < k; ++kj) {
        const long tap = ((static_cast<long>(oc) * k + ki) * k + kj) * channels;
        float* __restrict dw = dweight_t + tap;
        const float* __restrict w = weight_t + tap;
        for (const Hit& h : hits) {
          const int iy = h.oy * g.stride - g.padding + ki;
          const int ix = h.ox * g.stride - g.padding + kj;
          if (iy < 0 || iy >= g.in_height || ix < 0 || ix >= g.in_width) continue;
          const long pixel = (static_cast<long>(iy) * g.in_width + ix) * channels;
          const float* __restrict x = in_hwc + pixel;
          for (int c = 0; c < channels; ++c) dw[c] += h.grad * x[c];
          if (dx_hwc != nullptr) {
            float* __restrict dx = dx_hwc + pixel;
            for (int c = 0; c < channels; ++c) dx[c] += h.grad * w[c];
          }
        }
      }
    }
  }
}

// 32 channels on AVX-512: each tap's weight gradient is summed over the
// hits in two registers and stored once.
__attribute__((target("avx512f"))) void Backward32Avx512(const ConvGeometry& g,
                                                         const uint8_t* codes, const float* grad,
                                                         int pooled_height, int pooled_width,
                                                         const float* in_hwc, const float* weight_t,
                                                         float* dweight_t, float* dbias,
                                                         float* dx_hwc) {
  const int k = g.kernel;
  constexpr int kChannels = 32;
  thread_local std::vector<Hit> hits;
  for (int oc = 0; oc < g.out_channels; ++oc) {
    CollectHits(codes, grad, oc, pooled_height, pooled_width, dbias, &hits);
    for (int ki = 0; ki < k; ++ki) {
      for (int kj = 0; kj < k; ++kj) {
        const long tap = ((static_cast<long>(oc) * k + ki) * k + kj) * kChannels;
        const __m512 w0 = _mm512_loadu_ps(weight_t + tap);
        const __m512 w1 = _mm512_loadu_ps(weight_t + tap + 16);
        __m512 a0 = _mm512_setzero_ps();
        __m512 a1 = _mm512_setzero_ps();
        for (const Hit& h : hits) {
          const int iy = h.oy * g.stride - g.padding + ki;
          const int ix = h.ox * g.stride - g.padding + kj;
          if (iy < 0 || iy >= g.in_height || ix < 0 || ix >= g.in_width) continue;
          const long pixel = (static_cast<long>(iy) * g.in_width + ix) * kChannels;
          const __m512 gv = _mm512_set1_ps(h.grad);
          a0 = _mm512_fmadd_ps(gv, _mm512_loadu_ps(in_hwc + pixel), a0);
          a1 = _mm512_fmadd_ps(gv, _mm512_loadu_ps(in_hwc + pixel + 16), a1);
          if (dx_hwc != nullptr) {
            float* dx = dx_hwc + pixel;
            _mm512_storeu_ps(dx, _mm512_fmadd_ps(gv, w0, _mm512_loadu_ps(dx)));
            _mm512_storeu_ps(dx + 16, _mm512_fmadd_ps(gv, w1, _mm512_loadu_ps(dx + 16)));
          }
        }
        float* dw = dweight_t + tap;
        _mm512_storeu_ps(dw, _mm512_add_ps(_mm512_loadu_ps(dw), a0));
        _mm512_storeu_ps(dw + 16, _mm512_add_ps(_mm512_loadu_ps(dw + 16), a1));
      }
    }
  }
}

bool HasAvx512() {
  static const bool has = __builtin_cpu_supports("avx512f");
  return has;
}

}  // namespace

void SparseConvBackward(const ConvGeometry& g, const uint8_t* codes, const float* grad,
                        int pooled_height, int pooled_width, const float* in_hwc,
                        const float* weight_t, float* dweight_t, float* dbias, float* dx_hwc) {
  auto* run = g.in_channels == 32 && HasAvx512() ? Backward32Avx512 : BackwardAny;
  run(g, codes, grad, pooled_height, pooled_width, in_hwc, weight_t, dweight_t, dbias, dx_hwc);
}

void Transpose(const float* src, int rows, int cols, float* dst) {
  // Blocks of 8 source rows: each destination row gets 8 contiguous floats
  // at a time, and the 8 source rows stay in cache.
  constexpr int kBlock = 8;
  int r0 = 0;
  for (; r0 + kBlock <= rows; r0 += kBlock) {
    for (int c = 0; c < cols; ++c) {
      float* d = dst + static_cast<long>(c) * rows + r0;
      const float* s = src + static_cast<long>(r0) * cols + c;
      for (int i = 0; i < kBlock; ++i) d[i] = s[static_cast<long>(i) * cols];
    }
  }
  for (int r = r0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) {
      dst[static_cast<long>(c) * rows + r] = src[static_cast<long>(r) * cols + c];
    }
  }
}

}  // namespace jobctl::trainer
