#include "trainer/layers/im2col_avx512.h"

#include <immintrin.h>

#include <algorithm>
#include <cstdint>

namespace jobctl::trainer {
namespace {

// Lanes [lo, hi) of 16 set.
inline __mmask16 LaneMask(int lo, int hi) {
  if (hi <= lo) return 0;
  const uint32_t upto_hi = hi >= 16 ? 0xFFFFu : (1u << hi) - 1u;
  const uint32_t below_lo = (1u << lo) - 1u;
  return static_cast<__mmask16>(upto_hi & ~below_lo);
}

__attribute__((target("avx512f"))) void Im2Col(const PlainConvShape& s, const float* sample,
                                               float* col) {
  const int k = s.kernel;
  const int oh = s.out_height();
  const int ow = s.out_width();
  const long plane = static_cast<long>(s.height) * s.width;
  const long pixels = static_cast<long>(oh) * ow;
  for (int c = 0; c < s.channels; ++c) {
    const float* src_plane = sample + c * plane;
    for (int ki = 0; ki < k; ++ki) {
      for (int kj = 0; kj < k; ++kj) {
        float* dst = col + ((static_cast<long>(c) * k + ki) * k + kj) * pixels;
        for (int oy = 0; oy < oh; ++oy) {
          const float* src = src_plane + static_cast<long>(oy + ki) * s.width + kj;
          float* d = dst + static_cast<long>(oy) * ow;
          for (int x0 = 0; x0 < ow; x0 += 16) {
            const __mmask16 m = LaneMask(0, std::min(16, ow - x0));
            _mm512_mask_storeu_ps(d + x0, m, _mm512_maskz_loadu_ps(m, src + x0));
          }
        }
      }
    }
  }
}

__attribute__((target("avx512f"))) void Col2Im(const PlainConvShape& s, const float* col,
                                               float* sample) {
  const int k = s.kernel;
  const int oh = s.out_height();
  const int ow = s.out_width();
  const long plane = static_cast<long>(s.height) * s.width;
  const long pixels = static_cast<long>(oh) * ow;
  for (int c = 0; c < s.channels; ++c) {
    const float* col_c = col + static_cast<long>(c) * k * k * pixels;
    float* dst_plane = sample + c * plane;
    for (int iy = 0; iy < s.height; ++iy) {
      const int ki_first = std::max(0, iy - oh + 1);
      const int ki_last = std::min(k - 1, iy);
      for (int x0 = 0; x0 < s.width; x0 += 16) {
        __m512 acc = _mm512_setzero_ps();
        for (int ki = ki_first; ki <= ki_last; ++ki) {
          const int oy = iy - ki;
          for (int kj = 0; kj < k; ++kj) {
            // Lane l is input column x0 + l, output column x0 + l - kj.
            const int lo = std::max(0, kj - x0);
            const int hi = std::min(16, ow + kj - x0);
            const __mmask16 m = LaneMask(lo, hi);
            if (m == 0) continue;
            const float* row =
                col_c + (static_cast<long>(ki) * k + kj) * pixels + static_cast<long>(oy) * ow;
            // Masked-off lanes are never read, so the base may lie before row.
            const float* base = row + (x0 - kj);
            acc = _mm512_add_ps(acc, _mm512_maskz_loadu_ps(m, base));
          }
        }
        const __mmask16 store = LaneMask(0, std::min(16, s.width - x0));
        _mm512_mask_storeu_ps(dst_plane + static_cast<long>(iy) * s.width + x0, store, acc);
      }
    }
  }
}

bool HasAvx512() {
  static const bool has = __builtin_cpu_supports("avx512f");
  return has;
}

}  // namespace

bool Im2ColPlainAvx512(const PlainConvShape& s, const float* sample, float* col) {
  if (!HasAvx512()) return false;
  Im2Col(s, sample, col);
  return true;
}

bool Col2ImPlainAvx512(const PlainConvShape& s, const float* col, float* sample) {
  if (!HasAvx512()) return false;
  Col2Im(s, col, sample);
  return true;
}

}  // namespace jobctl::trainer
