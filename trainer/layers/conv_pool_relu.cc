#include "trainer/layers/conv_pool_relu.h"

// GCC 12 reports the undefined pass-through operands inside some AVX-512
// intrinsics (_mm512_max_ps, _mm512_cvtepu8_epi32) as maybe-uninitialized.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <algorithm>

#include "trainer/layers/conv2d_direct.h"
#include "trainer/layers/sparse_conv_backward.h"
#include "trainer/tensor/thread_pool.h"
#include "trainer/tensor/thread_scratch.h"

namespace jobctl::trainer {
namespace {

// Samples per gradient group: fixed, so the summation order is too.
constexpr int kGroupSize = 8;
constexpr uint8_t kCut = 4;
// ThreadScratch slots (Conv2d uses 0-2).
constexpr int kScratchSlot = 3;
constexpr int kInputSlot = 4;
constexpr int kInputGradSlot = 5;
constexpr int kWeightGradSlot = 6;

bool HasAvx512() {
  static const bool has = __builtin_cpu_supports("avx512f");
  return has;
}

void PoolRowsPortable(const float* t, const float* u, int ow, float* out, uint8_t* codes) {
  for (int ox = 0; ox < ow; ++ox) {
    const float v[4] = {t[2 * ox], t[2 * ox + 1], u[2 * ox], u[2 * ox + 1]};
    int best = 0;
    for (int i = 1; i < 4; ++i) {
      if (v[i] > v[best]) best = i;
    }
    const bool keep = v[best] > 0.0f;
    out[ox] = keep ? v[best] : 0.0f;
    codes[ox] = keep ? static_cast<uint8_t>(best) : kCut;
  }
}

void UnpoolRowsPortable(const float* g, const uint8_t* codes, int ow, float* dt, float* du) {
  for (int ox = 0; ox < ow; ++ox) {
    const int code = codes[ox];
    dt[2 * ox] = code == 0 ? g[ox] : 0.0f;
    dt[2 * ox + 1] = code == 1 ? g[ox] : 0.0f;
    du[2 * ox] = code == 2 ? g[ox] : 0.0f;
    du[2 * ox + 1] = code == 3 ? g[ox] : 0.0f;
  }
}

// 16 windows per step: even and odd columns separated with permutes.
struct Permutes {
  __m512i even, odd, lo, hi;
};

__attribute__((target("avx512f"))) Permutes MakePermutes() {
  return {_mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30),
          _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31),
          _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23),
          _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31)};
}

inline __mmask16 Mask(int lanes) {
  return static_cast<__mmask16>(lanes >= 16 ? 0xFFFFu : (1u << std::max(lanes, 0)) - 1u);
}

// Fixed-order sum of the 16 lanes.
__attribute__((target("avx512f"))) float ReduceAvx512(__m512 v) {
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, v);
  float sum = 0.0f;
  for (float lane : lanes) sum += lane;
  return sum;
}

__attribute__((target("avx512f"))) void PoolRowsAvx512(const Permutes& p, const float* t,
                                                       const float* u, int ow, float* out,
                                                       uint8_t* codes) {
  for (int ox = 0; ox < ow; ox += 16) {
    const int lanes = std::min(16, ow - ox);
    const __mmask16 mask = Mask(lanes);
    const __mmask16 mask_lo = Mask(2 * lanes);
    const __mmask16 mask_hi = Mask(2 * lanes - 16);
    const __m512 t0 = _mm512_maskz_loadu_ps(mask_lo, t + 2 * ox);
    const __m512 t1 = _mm512_maskz_loadu_ps(mask_hi, t + 2 * ox + 16);
    const __m512 u0 = _mm512_maskz_loadu_ps(mask_lo, u + 2 * ox);
    const __m512 u1 = _mm512_maskz_loadu_ps(mask_hi, u + 2 * ox + 16);
    const __m512 a = _mm512_permutex2var_ps(t0, p.even, t1);
    const __m512 b = _mm512_permutex2var_ps(t0, p.odd, t1);
    const __m512 c = _mm512_permutex2var_ps(u0, p.even, u1);
    const __m512 d = _mm512_permutex2var_ps(u0, p.odd, u1);
    const __m512 m = _mm512_max_ps(_mm512_max_ps(a, b), _mm512_max_ps(c, d));
    __m512i code = _mm512_set1_epi32(3);
    code = _mm512_mask_mov_epi32(code, _mm512_cmp_ps_mask(c, m, _CMP_EQ_OQ), _mm512_set1_epi32(2));
    code = _mm512_mask_mov_epi32(code, _mm512_cmp_ps_mask(b, m, _CMP_EQ_OQ), _mm512_set1_epi32(1));
    code =
        _mm512_mask_mov_epi32(code, _mm512_cmp_ps_mask(a, m, _CMP_EQ_OQ), _mm512_setzero_si512());
    const __mmask16 keep = _mm512_cmp_ps_mask(m, _mm512_setzero_ps(), _CMP_GT_OQ);
    code = _mm512_mask_mov_epi32(_mm512_set1_epi32(kCut), keep, code);
    _mm512_mask_storeu_ps(out + ox, mask, _mm512_maskz_mov_ps(keep, m));
    _mm512_mask_cvtepi32_storeu_epi8(codes + ox, mask, code);
  }
}

__attribute__((target("avx512f"))) void UnpoolRowsAvx512(const Permutes& p, const float* g,
                                                         const uint8_t* codes, int ow, float* dt,
                                                         float* du) {
  for (int ox = 0; ox < ow; ox += 16) {
    const int lanes = std::min(16, ow - ox);
    const __mmask16 mask = Mask(lanes);
    const __mmask16 mask_lo = Mask(2 * lanes);
    const __mmask16 mask_hi = Mask(2 * lanes - 16);
    const __m512 gv = _mm512_maskz_loadu_ps(mask, g + ox);
    alignas(16) uint8_t bytes[16] = {};
    std::copy(codes + ox, codes + ox + lanes, bytes);
    const __m512i code =
        _mm512_cvtepu8_epi32(_mm_load_si128(reinterpret_cast<const __m128i*>(bytes)));
    __m512 s[4];
    for (int i = 0; i < 4; ++i) {
      s[i] = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(code, _mm512_set1_epi32(i)), gv);
    }
    _mm512_mask_storeu_ps(dt + 2 * ox, mask_lo, _mm512_permutex2var_ps(s[0], p.lo, s[1]));
    _mm512_mask_storeu_ps(dt + 2 * ox + 16, mask_hi, _mm512_permutex2var_ps(s[0], p.hi, s[1]));
    _mm512_mask_storeu_ps(du + 2 * ox, mask_lo, _mm512_permutex2var_ps(s[2], p.lo, s[3]));
    _mm512_mask_storeu_ps(du + 2 * ox + 16, mask_hi, _mm512_permutex2var_ps(s[2], p.hi, s[3]));
  }
}

__attribute__((target("avx512f"))) void PoolAvx512(const float* conv, int channels, int height,
                                                   int width, float* out, uint8_t* codes) {
  const Permutes p = MakePermutes();
  const int oh = height / 2;
  const int ow = width / 2;
  for (int c = 0; c < channels; ++c) {
    for (int oy = 0; oy < oh; ++oy) {
      const float* t = conv + (static_cast<long>(c) * height + 2 * oy) * width;
      const long o = (static_cast<long>(c) * oh + oy) * ow;
      PoolRowsAvx512(p, t, t + width, ow, out + o, codes + o);
    }
  }
}

__attribute__((target("avx512f"))) void UnpoolAvx512(const float* grad_out, const uint8_t* codes,
                                                     int channels, int height, int width,
                                                     float* grad_conv) {
  const Permutes p = MakePermutes();
  const int oh = height / 2;
  const int ow = width / 2;
  for (int c = 0; c < channels; ++c) {
    float* plane = grad_conv + static_cast<long>(c) * height * width;
    for (int oy = 0; oy < oh; ++oy) {
      float* t = plane + static_cast<long>(2 * oy) * width;
      const long o = (static_cast<long>(c) * oh + oy) * ow;
      UnpoolRowsAvx512(p, grad_out + o, codes + o, ow, t, t + width);
      if (width % 2 != 0) t[width - 1] = t[2 * width - 1] = 0.0f;
    }
    if (height % 2 != 0) std::fill(plane + (height - 1L) * width, plane + height * width, 0.0f);
  }
}

// The weight and bias gradients straight from the pooled gradient and the
// window codes, 16 pooled outputs per step: the input is split into its
// (k+1)^2 stride-2 phase planes, plane (a, b) holding input (2py+a, 2px+b),
// so the window position s = (dy, dx) and tap (i, j) read plane
// (dy+i, dx+j) at the pooled index.
template <int k>
__attribute__((target("avx512f"))) void PooledWeightGradAvx512(const PlaneGeometry& g, int channels,
                                                               const float* in, const float* grad,
                                                               const uint8_t* codes, float* planes,
                                                               float* dw, float* db) {
  constexpr int span = k + 1;
  constexpr int taps = k * k;
  const int ph = g.out_height() / 2;
  const int pw = g.out_width() / 2;
  const int pooled = ph * pw;
  for (int a = 0; a < span; ++a) {
    for (int b = 0; b < span; ++b) {
      float* plane = planes + static_cast<long>(a * span + b) * pooled;
      for (int py = 0; py < ph; ++py) {
        const float* src = in + static_cast<long>(2 * py + a) * g.width + b;
        for (int px = 0; px < pw; ++px) plane[py * pw + px] = src[2 * px];
      }
    }
  }
  for (int c = 0; c < channels; ++c) {
    const float* gc = grad + static_cast<long>(c) * pooled;
    const uint8_t* cc = codes + static_cast<long>(c) * pooled;
    __m512 acc[taps];
    for (int t = 0; t < taps; ++t) acc[t] = _mm512_setzero_ps();
    __m512 acc_b = _mm512_setzero_ps();
    for (int o = 0; o < pooled; o += 16) {
      const int lanes = std::min(16, pooled - o);
      const __mmask16 mask = Mask(lanes);
      const __m512 gv = _mm512_maskz_loadu_ps(mask, gc + o);
      alignas(16) uint8_t bytes[16] = {};
      std::copy(cc + o, cc + o + lanes, bytes);
      const __m512i code =
          _mm512_cvtepu8_epi32(_mm_load_si128(reinterpret_cast<const __m128i*>(bytes)));
      acc_b = _mm512_add_ps(
          acc_b, _mm512_maskz_mov_ps(_mm512_cmplt_epi32_mask(code, _mm512_set1_epi32(kCut)), gv));
      __m512 pv[span * span];
      for (int q = 0; q < span * span; ++q) {
        pv[q] = _mm512_maskz_loadu_ps(mask, planes + static_cast<long>(q) * pooled + o);
      }
      for (int s = 0; s < 4; ++s) {
        const __m512 gs =
            _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(code, _mm512_set1_epi32(s)), gv);
        const int dy = s / 2;
        const int dx = s % 2;
        for (int i = 0; i < k; ++i) {
          for (int j = 0; j < k; ++j) {
            acc[i * k + j] = _mm512_fmadd_ps(gs, pv[(dy + i) * span + dx + j], acc[i * k + j]);
          }
        }
      }
    }
    db[c] += ReduceAvx512(acc_b);
    for (int t = 0; t < taps; ++t) dw[static_cast<long>(c) * taps + t] += ReduceAvx512(acc[t]);
  }
}

}  // namespace

void PoolReLUForward(const float* conv, int channels, int height, int width, float* out,
                     uint8_t* codes) {
  if (HasAvx512()) {
    PoolAvx512(conv, channels, height, width, out, codes);
    return;
  }
  const int oh = height / 2;
  const int ow = width / 2;
  for (int c = 0; c < channels; ++c) {
    for (int oy = 0; oy < oh; ++oy) {
      const float* t = conv + (static_cast<long>(c) * height + 2 * oy) * width;
      const long o = (static_cast<long>(c) * oh + oy) * ow;
      PoolRowsPortable(t, t + width, ow, out + o, codes + o);
    }
  }
}

void PoolReLUBackward(const float* grad_out, const uint8_t* codes, int channels, int height,
                      int width, float* grad_conv) {
  if (HasAvx512()) {
    UnpoolAvx512(grad_out, codes, channels, height, width, grad_conv);
    return;
  }
  const int oh = height / 2;
  const int ow = width / 2;
  for (int c = 0; c < channels; ++c) {
    float* plane = grad_conv + static_cast<long>(c) * height * width;
    for (int oy = 0; oy < oh; ++oy) {
      float* t = plane + static_cast<long>(2 * oy) * width;
      const long o = (static_cast<long>(c) * oh + oy) * ow;
      UnpoolRowsPortable(grad_out + o, codes + o, ow, t, t + width);
      if (width % 2 != 0) t[width - 1] = t[2 * width - 1] = 0.0f;
    }
    if (height % 2 != 0) std::fill(plane + (height - 1L) * width, plane + height * width, 0.0f);
  }
}

ConvPoolReLU::ConvPoolReLU(const ConvGeometry& geometry, const std::string& prefix,
                           ParameterBuffer* params)
    : conv_(geometry, prefix, params), params_(params) {}

std::string ConvPoolReLU::Describe() const {
  return conv_.Describe() + ", ReLU(), MaxPool2d(kernel_size=2)";
}

void ConvPoolReLU::Forward(const Tensor& in, Tensor* out, bool /*training*/) {
  const ConvGeometry& g = conv_.geometry();
  const int of = out_features();
  out->Resize(in.batch, of);
  codes_.resize(static_cast<size_t>(in.batch) * of);
  ParallelFor(in.batch, 1, 1, [&](int64_t begin, int64_t end) {
    float* conv = ThreadScratch(kScratchSlot, static_cast<size_t>(conv_.out_features()));
    for (int64_t n = begin; n < end; ++n) {
      conv_.ForwardSample(in.row(static_cast<int>(n)), conv);
      PoolReLUForward(conv, g.out_channels, g.out_height(), g.out_width(),
                      out->row(static_cast<int>(n)), codes_.data() + static_cast<size_t>(n) * of);
    }
  });
}

void ConvPoolReLU::Backward(const Tensor& in, const Tensor& /*out*/, const Tensor& grad_out,
                            Tensor* grad_in) {
  const ConvGeometry& g = conv_.geometry();
  const int of = out_features();
  const size_t w_size = static_cast<size_t>(g.out_channels) * g.in_channels * g.kernel * g.kernel;
  const size_t part_size = w_size + g.out_channels;
  const int groups = (in.batch + kGroupSize - 1) / kGroupSize;
  partials_.assign(part_size * groups, 0.0f);
  if (grad_in != nullptr) grad_in->Resize(in.batch, in_features());
  // The pooled path: the first layer's shape, AVX-512, no input gradient.
  const bool pooled_path = HasAvx512() && g.in_channels == 1 && g.kernel == 3 && g.stride == 1 &&
                           g.padding == 0 && grad_in == nullptr;
  const PlaneGeometry plane{g.in_height, g.in_width, g.kernel};
  const int span = g.kernel + 1;
  const size_t scratch_size = static_cast<size_t>(span) * span * pooled_height() * pooled_width();
  // Otherwise the sparse path, channels innermost (sparse_conv_backward.h).
  const int taps = g.kernel * g.kernel;
  const int in_pixels = g.in_height * g.in_width;
  if (!pooled_path) {
    weight_t_.resize(w_size);
    const float* w = params_->values() + conv_.weight_offset();
    for (int oc = 0; oc < g.out_channels; ++oc) {
      const size_t offset = static_cast<size_t>(oc) * g.in_channels * taps;
      Transpose(w + offset, g.in_channels, taps, weight_t_.data() + offset);
    }
  }
  ParallelFor(groups, 1, 1, [&](int64_t group_begin, int64_t group_end) {
    for (int64_t group = group_begin; group < group_end; ++group) {
      float* dw = partials_.data() + part_size * group;
      const int first = static_cast<int>(group) * kGroupSize;
      const int last = std::min(in.batch, first + kGroupSize);
      if (pooled_path) {
        float* scratch = ThreadScratch(kScratchSlot, scratch_size);
        for (int n = first; n < last; ++n) {
          PooledWeightGradAvx512<3>(plane, g.out_channels, in.row(n), grad_out.row(n),
                                    codes_.data() + static_cast<size_t>(n) * of, scratch, dw,
                                    dw + w_size);
        }
        continue;
      }
      const size_t hwc_size = static_cast<size_t>(in_pixels) * g.in_channels;
      float* in_hwc = ThreadScratch(kInputSlot, hwc_size);
      float* dx_hwc = grad_in != nullptr ? ThreadScratch(kInputGradSlot, hwc_size) : nullptr;
      float* dw_t = ThreadScratch(kWeightGradSlot, w_size);
      std::fill(dw_t, dw_t + w_size, 0.0f);
      for (int n = first; n < last; ++n) {
        Transpose(in.row(n), g.in_channels, in_pixels, in_hwc);
        if (dx_hwc != nullptr) std::fill(dx_hwc, dx_hwc + hwc_size, 0.0f);
        SparseConvBackward(g, codes_.data() + static_cast<size_t>(n) * of, grad_out.row(n),
                           pooled_height(), pooled_width(), in_hwc, weight_t_.data(), dw_t,
                           dw + w_size, dx_hwc);
        if (dx_hwc != nullptr) Transpose(dx_hwc, in_pixels, g.in_channels, grad_in->row(n));
      }
      for (int oc = 0; oc < g.out_channels; ++oc) {
        const size_t offset = static_cast<size_t>(oc) * g.in_channels * taps;
        Transpose(dw_t + offset, taps, g.in_channels, dw + offset);
      }
    }
  });
  conv_.AddPartials(partials_, groups, params_->grads() + conv_.weight_offset(),
                    params_->grads() + conv_.bias_offset());
}

}  // namespace jobctl::trainer
