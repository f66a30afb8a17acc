#include "trainer/layers/conv2d.h"

#include <algorithm>
#include <cmath>

#include "trainer/layers/conv2d_direct.h"
#include "trainer/layers/im2col_avx512.h"
#include "trainer/tensor/blas.h"
#include "trainer/tensor/thread_pool.h"
#include "trainer/tensor/thread_scratch.h"

namespace jobctl::trainer {
namespace {

// Samples per gradient group: fixed, so the summation order is too.
constexpr int kGroupSize = 8;

// Sum in 16 interleaved lanes (a vector register's worth), then the lanes in
// order: a fixed order that the compiler can vectorise.
float Sum(const float* x, int count) {
  constexpr int kLanes = 16;
  float lanes[kLanes] = {};
  int i = 0;
  for (; i + kLanes <= count; i += kLanes) {
    for (int l = 0; l < kLanes; ++l) lanes[l] += x[i + l];
  }
  for (; i < count; ++i) lanes[0] += x[i];
  float sum = 0.0f;
  for (float lane : lanes) sum += lane;
  return sum;
}

}  // namespace

Conv2d::Conv2d(const ConvGeometry& geometry, const std::string& prefix, ParameterBuffer* params)
    : g_(geometry),
      params_(params),
      direct_(geometry.in_channels == 1 && geometry.stride == 1 && geometry.padding == 0) {
  weight_offset_ =
      params->Reserve(prefix + ".weight", {g_.out_channels, g_.in_channels, g_.kernel, g_.kernel});
  bias_offset_ = params->Reserve(prefix + ".bias", {g_.out_channels});
}

std::string Conv2d::Describe() const {
  return "Conv2d(" + std::to_string(g_.in_channels) + ", " + std::to_string(g_.out_channels) +
         ", kernel_size=" + std::to_string(g_.kernel) + ")";
}

void Conv2d::Initialize(Pcg32* rng) {
  int fan_in = patch_size();
  float bound = 1.0f / std::sqrt(static_cast<float>(fan_in));
  float* w = params_->values() + weight_offset_;
  for (int i = 0; i < g_.out_channels * fan_in; ++i) w[i] = rng->Uniform(-bound, bound);
  float* b = params_->values() + bias_offset_;
  for (int i = 0; i < g_.out_channels; ++i) b[i] = rng->Uniform(-bound, bound);
}

void Conv2d::Im2Col(const float* sample, float* col) const {
  const int k = g_.kernel;
  const int oh = g_.out_height();
  const int ow = g_.out_width();
  const int plane = g_.in_height * g_.in_width;
  const bool plain = g_.stride == 1 && g_.padding == 0;
  if (plain && Im2ColPlainAvx512({g_.in_channels, g_.in_height, g_.in_width, k}, sample, col)) {
    return;
  }
  for (int c = 0; c < g_.in_channels; ++c) {
    const float* src = sample + static_cast<size_t>(c) * plane;
    for (int ki = 0; ki < k; ++ki) {
      for (int kj = 0; kj < k; ++kj) {
        float* dst = col + static_cast<size_t>((c * k + ki) * k + kj) * oh * ow;
        for (int oy = 0; oy < oh; ++oy) {
          const int iy = oy * g_.stride - g_.padding + ki;
          float* d = dst + static_cast<size_t>(oy) * ow;
          if (iy < 0 || iy >= g_.in_height) {
            std::fill(d, d + ow, 0.0f);
            continue;
          }
          const float* s = src + static_cast<size_t>(iy) * g_.in_width;
          if (plain) {
            // A loop, not std::copy: rows are short (11-26 floats) and a
            // memmove call per row costs more than the copy.
            const float* sk = s + kj;
            for (int ox = 0; ox < ow; ++ox) d[ox] = sk[ox];
            continue;
          }
          for (int ox = 0; ox < ow; ++ox) {
            const int ix = ox * g_.stride - g_.padding + kj;
            d[ox] = (ix < 0 || ix >= g_.in_width) ? 0.0f : s[ix];
          }
        }
      }
    }
  }
}

void Conv2d::Col2Im(const float* col, float* sample) const {
  const int k = g_.kernel;
  const int oh = g_.out_height();
  const int ow = g_.out_width();
  const int plane = g_.in_height * g_.in_width;
  const bool plain = g_.stride == 1 && g_.padding == 0;
  if (plain && Col2ImPlainAvx512({g_.in_channels, g_.in_height, g_.in_width, k}, col, sample)) {
    return;
  }
  std::fill(sample, sample + in_features(), 0.0f);
  for (int c = 0; c < g_.in_channels; ++c) {
    float* dst = sample + static_cast<size_t>(c) * plane;
    for (int ki = 0; ki < k; ++ki) {
      for (int kj = 0; kj < k; ++kj) {
        const float* src = col + static_cast<size_t>((c * k + ki) * k + kj) * oh * ow;
        for (int oy = 0; oy < oh; ++oy) {
          const int iy = oy * g_.stride - g_.padding + ki;
          if (iy < 0 || iy >= g_.in_height) continue;
          float* d = dst + static_cast<size_t>(iy) * g_.in_width;
          const float* s = src + static_cast<size_t>(oy) * ow;
          if (plain) {
            float* dk = d + kj;
            for (int ox = 0; ox < ow; ++ox) dk[ox] += s[ox];
            continue;
          }
          for (int ox = 0; ox < ow; ++ox) {
            const int ix = ox * g_.stride - g_.padding + kj;
            if (ix >= 0 && ix < g_.in_width) d[ix] += s[ox];
          }
        }
      }
    }
  }
}

void Conv2d::Forward(const Tensor& in, Tensor* out, bool /*training*/) {
  out->Resize(in.batch, out_features());
  if (direct_) {
    ForwardDirect(in, out);
    return;
  }
  const int rows = patch_size();
  const int p = pixels();
  const size_t col_size = static_cast<size_t>(rows) * p;
  const float* w = params_->values() + weight_offset_;
  const float* b = params_->values() + bias_offset_;
  ParallelFor(in.batch, 1, 1, [&](int64_t begin, int64_t end) {
    // One sample's columns at a time, in a per-thread buffer that stays in
    // cache; Backward builds them again rather than reading a batch's worth
    // back from memory.
    float* col = ThreadScratch(0, col_size);
    for (int64_t n = begin; n < end; ++n) {
      Im2Col(in.row(static_cast<int>(n)), col);
      float* y = out->row(static_cast<int>(n));
      for (int oc = 0; oc < g_.out_channels; ++oc) {
        std::fill(y + static_cast<size_t>(oc) * p, y + static_cast<size_t>(oc + 1) * p, b[oc]);
      }
      // y [oc, P] = W [oc, rows] * col [rows, P] + bias
      GemmSerial(false, false, g_.out_channels, p, rows, 1.0f, w, rows, col, p, 1.0f, y, p);
    }
  });
}

void Conv2d::ForwardDirect(const Tensor& in, Tensor* out) {
  const PlaneGeometry plane{g_.in_height, g_.in_width, g_.kernel};
  const float* w = params_->values() + weight_offset_;
  const float* b = params_->values() + bias_offset_;
  ParallelFor(in.batch, 1, 1, [&](int64_t begin, int64_t end) {
    float* wide = ThreadScratch(2, static_cast<size_t>(plane.span()));
    for (int64_t n = begin; n < end; ++n) {
      DirectConvForward(plane, g_.out_channels, in.row(static_cast<int>(n)), w, b, wide,
                        out->row(static_cast<int>(n)));
    }
  });
}

void Conv2d::Backward(const Tensor& in, const Tensor& /*out*/, const Tensor& grad_out,
                      Tensor* grad_in) {
  const int rows = patch_size();
  const int p = pixels();
  const int oc_count = g_.out_channels;
  const size_t w_size = static_cast<size_t>(oc_count) * rows;
  const size_t part_size = w_size + oc_count;
  const int groups = (in.batch + kGroupSize - 1) / kGroupSize;
  partials_.assign(part_size * groups, 0.0f);
  if (grad_in != nullptr) grad_in->Resize(in.batch, in_features());
  if (direct_) {
    BackwardDirect(in, grad_out, grad_in);
  } else {
    const size_t col_size = static_cast<size_t>(rows) * p;
    const float* w = params_->values() + weight_offset_;
    ParallelFor(groups, 1, 1, [&](int64_t group_begin, int64_t group_end) {
      float* col = ThreadScratch(0, col_size);
      float* dcol = grad_in != nullptr ? ThreadScratch(1, col_size) : nullptr;
      for (int64_t group = group_begin; group < group_end; ++group) {
        float* dw = partials_.data() + part_size * group;
        float* db = dw + w_size;
        const int first = static_cast<int>(group) * kGroupSize;
        const int last = std::min(in.batch, first + kGroupSize);
        for (int n = first; n < last; ++n) {
          const float* dy = grad_out.row(n);
          Im2Col(in.row(n), col);
          // dW [oc, rows] += dY [oc, P] * col^T [P, rows]
          GemmSerial(false, true, oc_count, rows, p, 1.0f, dy, p, col, p, 1.0f, dw, rows);
          for (int oc = 0; oc < oc_count; ++oc) {
            db[oc] += Sum(dy + static_cast<size_t>(oc) * p, p);
          }
          if (grad_in != nullptr) {
            // dcol [rows, P] = W^T [rows, oc] * dY [oc, P]
            GemmSerial(true, false, rows, p, oc_count, 1.0f, w, rows, dy, p, 0.0f, dcol, p);
            Col2Im(dcol, grad_in->row(n));
          }
        }
      }
    });
  }
  float* dw = params_->grads() + weight_offset_;
  float* db = params_->grads() + bias_offset_;
  std::copy(partials_.begin(), partials_.begin() + static_cast<long>(w_size), dw);
  std::copy(partials_.begin() + static_cast<long>(w_size),
            partials_.begin() + static_cast<long>(part_size), db);
  for (int group = 1; group < groups; ++group) {
    const float* part = partials_.data() + part_size * group;
    for (size_t i = 0; i < w_size; ++i) dw[i] += part[i];
    for (int oc = 0; oc < oc_count; ++oc) db[oc] += part[w_size + oc];
  }
}

void Conv2d::BackwardDirect(const Tensor& in, const Tensor& grad_out, Tensor* grad_in) {
  const PlaneGeometry plane{g_.in_height, g_.in_width, g_.kernel};
  const int oc_count = g_.out_channels;
  const size_t w_size = static_cast<size_t>(oc_count) * patch_size();
  const size_t part_size = w_size + oc_count;
  const int groups = (in.batch + kGroupSize - 1) / kGroupSize;
  const float* w = params_->values() + weight_offset_;
  ParallelFor(groups, 1, 1, [&](int64_t group_begin, int64_t group_end) {
    float* wide = ThreadScratch(2, static_cast<size_t>(plane.span()));
    for (int64_t group = group_begin; group < group_end; ++group) {
      float* dw = partials_.data() + part_size * group;
      const int first = static_cast<int>(group) * kGroupSize;
      const int last = std::min(in.batch, first + kGroupSize);
      for (int n = first; n < last; ++n) {
        DirectConvWeightGrad(plane, oc_count, in.row(n), grad_out.row(n), wide, dw, dw + w_size);
        if (grad_in != nullptr) {
          DirectConvInputGrad(plane, oc_count, w, grad_out.row(n), wide, grad_in->row(n));
        }
      }
    }
  });
}

}  // namespace jobctl::trainer
