#include "trainer/layers/max_pool2d.h"

#include <immintrin.h>

#include <algorithm>

#include "trainer/tensor/thread_pool.h"

namespace jobctl::trainer {

MaxPool2d::MaxPool2d(int channels, int height, int width, int window)
    : channels_(channels), height_(height), width_(width), window_(window) {}

std::string MaxPool2d::Describe() const {
  return "MaxPool2d(kernel_size=" + std::to_string(window_) + ")";
}

void MaxPool2d::ForwardSample(const float* src, float* dst, int* arg) const {
  const int oh = out_height();
  const int ow = out_width();
  std::vector<float> row_max(static_cast<size_t>(width_));
  for (int c = 0; c < channels_; ++c) {
    for (int oy = 0; oy < oh; ++oy) {
      const int top = (c * height_ + oy * window_) * width_;
      int o = (c * oh + oy) * ow;
      if (window_ == 2) {
        // Only the values: Backward finds the first maximum again.
        const float* t = src + top;
        const float* u = t + width_;
        for (int x = 0; x < 2 * ow; ++x) row_max[x] = std::max(t[x], u[x]);
        for (int ox = 0; ox < ow; ++ox)
          dst[o + ox] = std::max(row_max[2 * ox], row_max[2 * ox + 1]);
        continue;
      }
      for (int ox = 0; ox < ow; ++ox, ++o) {
        int best = top + ox * window_;
        float best_value = src[best];
        for (int i = 0; i < window_; ++i) {
          for (int j = 0; j < window_; ++j) {
            int idx = top + i * width_ + ox * window_ + j;
            if (src[idx] > best_value) {
              best_value = src[idx];
              best = idx;
            }
          }
        }
        dst[o] = best_value;
        arg[o] = best;
      }
    }
  }
}

void MaxPool2d::Forward(const Tensor& in, Tensor* out, bool /*training*/) {
  const int of = out_features();
  out->Resize(in.batch, of);
  if (window_ != 2) argmax_.resize(static_cast<size_t>(in.batch) * of);
  ParallelFor(in.batch, 1, 4, [&](int64_t begin, int64_t end) {
    for (int64_t n = begin; n < end; ++n) {
      ForwardSample(in.row(static_cast<int>(n)), out->row(static_cast<int>(n)),
                    window_ == 2 ? nullptr : argmax_.data() + static_cast<size_t>(n) * of);
    }
  });
}

void MaxPool2d::Backward(const Tensor& in, const Tensor& out, const Tensor& grad_out,
                         Tensor* grad_in) {
  if (grad_in == nullptr) return;
  const int of = out_features();
  const int in_f = in_features();
  grad_in->Resize(in.batch, in_f);
  ParallelFor(in.batch, 1, 4, [&](int64_t begin, int64_t end) {
    for (int64_t n = begin; n < end; ++n) {
      const float* g = grad_out.row(static_cast<int>(n));
      float* d = grad_in->row(static_cast<int>(n));
      if (window_ == 2) {
        BackwardSample2(in.row(static_cast<int>(n)), out.row(static_cast<int>(n)), g, d);
        continue;
      }
      std::fill(d, d + in_f, 0.0f);
      const int* arg = argmax_.data() + static_cast<size_t>(n) * of;
      for (int o = 0; o < of; ++o) d[arg[o]] += g[o];
    }
  });
}

namespace {

// One row pair of 2x2 windows (t: top input row, u: the row below): writes
// all four inputs of every window, the gradient at the first maximum in
// scan order and zero elsewhere, in one pass.
void BackwardRows2Portable(const float* t, const float* u, const float* max, const float* g,
                           float* dt, float* du, int ow) {
  // Which of the four is the first equal to the maximum, from the equality
  // bits of the first three (bit 0: (0,0), bit 1: (0,1), bit 2: (1,0)):
  // table lookups instead of branches that the data would mispredict.
  static constexpr int kFirst[8] = {3, 0, 1, 0, 2, 0, 1, 0};
  for (int ox = 0; ox < ow; ++ox) {
    const float m = max[ox];
    const int bits = static_cast<int>(t[2 * ox] == m) |
                     (static_cast<int>(t[2 * ox + 1] == m) << 1) |
                     (static_cast<int>(u[2 * ox] == m) << 2);
    const int first = kFirst[bits];
    dt[2 * ox] = first == 0 ? g[ox] : 0.0f;
    dt[2 * ox + 1] = first == 1 ? g[ox] : 0.0f;
    du[2 * ox] = first == 2 ? g[ox] : 0.0f;
    du[2 * ox + 1] = first == 3 ? g[ox] : 0.0f;
  }
}

// The same, 16 windows per step: the even and odd columns of each row are
// separated with permutes, compared with the maxima into masks, and the
// masked gradients interleaved back.
__attribute__((target("avx512f"))) void BackwardRows2Avx512(const float* t, const float* u,
                                                            const float* max, const float* g,
                                                            float* dt, float* du, int ow) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const __m512i hi =
      _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  for (int ox = 0; ox < ow; ox += 16) {
    const int lanes = std::min(16, ow - ox);
    const __mmask16 mask = static_cast<__mmask16>((1u << lanes) - 1u);
    const __mmask16 mask_lo = static_cast<__mmask16>((1u << std::min(16, 2 * lanes)) - 1u);
    const __mmask16 mask_hi = static_cast<__mmask16>((1u << std::max(0, 2 * lanes - 16)) - 1u);
    const __m512 m = _mm512_maskz_loadu_ps(mask, max + ox);
    const __m512 gv = _mm512_maskz_loadu_ps(mask, g + ox);
    const __m512 t0 = _mm512_maskz_loadu_ps(mask_lo, t + 2 * ox);
    const __m512 t1 = _mm512_maskz_loadu_ps(mask_hi, t + 2 * ox + 16);
    const __m512 u0 = _mm512_maskz_loadu_ps(mask_lo, u + 2 * ox);
    const __m512 u1 = _mm512_maskz_loadu_ps(mask_hi, u + 2 * ox + 16);
    const __mmask16 e0 = _mm512_cmp_ps_mask(_mm512_permutex2var_ps(t0, even, t1), m, _CMP_EQ_OQ);
    const __mmask16 e1 = _mm512_cmp_ps_mask(_mm512_permutex2var_ps(t0, odd, t1), m, _CMP_EQ_OQ);
    const __mmask16 e2 = _mm512_cmp_ps_mask(_mm512_permutex2var_ps(u0, even, u1), m, _CMP_EQ_OQ);
    const __mmask16 s0 = e0;
    const __mmask16 s1 = static_cast<__mmask16>(e1 & ~e0);
    const __mmask16 s2 = static_cast<__mmask16>(e2 & ~e0 & ~e1);
    const __mmask16 s3 = static_cast<__mmask16>(~(e0 | e1 | e2));
    const __m512 g0 = _mm512_maskz_mov_ps(s0, gv);
    const __m512 g1 = _mm512_maskz_mov_ps(s1, gv);
    const __m512 g2 = _mm512_maskz_mov_ps(s2, gv);
    const __m512 g3 = _mm512_maskz_mov_ps(s3, gv);
    _mm512_mask_storeu_ps(dt + 2 * ox, mask_lo, _mm512_permutex2var_ps(g0, lo, g1));
    _mm512_mask_storeu_ps(dt + 2 * ox + 16, mask_hi, _mm512_permutex2var_ps(g0, hi, g1));
    _mm512_mask_storeu_ps(du + 2 * ox, mask_lo, _mm512_permutex2var_ps(g2, lo, g3));
    _mm512_mask_storeu_ps(du + 2 * ox + 16, mask_hi, _mm512_permutex2var_ps(g2, hi, g3));
  }
}

bool HasAvx512() {
  static const bool has = __builtin_cpu_supports("avx512f");
  return has;
}

}  // namespace

void MaxPool2d::BackwardSample2(const float* src, const float* max, const float* g,
                                float* d) const {
  const int oh = out_height();
  const int ow = out_width();
  auto* rows2 = HasAvx512() ? BackwardRows2Avx512 : BackwardRows2Portable;
  for (int c = 0; c < channels_; ++c) {
    const int plane = c * height_ * width_;
    for (int oy = 0; oy < oh; ++oy) {
      const int top = plane + oy * 2 * width_;
      const int o = (c * oh + oy) * ow;
      rows2(src + top, src + top + width_, max + o, g + o, d + top, d + top + width_, ow);
      // An odd width leaves the last column outside every window.
      if (width_ % 2 != 0) {
        d[top + width_ - 1] = 0.0f;
        d[top + 2 * width_ - 1] = 0.0f;
      }
    }
    // An odd height leaves the last row outside every window.
    if (height_ % 2 != 0) {
      float* last = d + plane + (height_ - 1) * width_;
      std::fill(last, last + width_, 0.0f);
    }
  }
}

}  // namespace jobctl::trainer
