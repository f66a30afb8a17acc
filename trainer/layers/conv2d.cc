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

// ThreadScratch slots (ConvPoolReLU uses the next one).
constexpr int kColSlot = 0;
constexpr int kGradColSlot = 1;
constexpr int kWideSlot = 2;

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

void Conv2d::ForwardSample(const float* in, float* out) const {
  const float* w = params_->values() + weight_offset_;
  const float* b = params_->values() + bias_offset_;
  if (direct_) {
    const PlaneGeometry plane{g_.in_height, g_.in_width, g_.kernel};
    DirectConvForward(plane, g_.out_channels, in, w, b,
                      ThreadScratch(kWideSlot, static_cast<size_t>(plane.span())), out);
    return;
  }
  const int rows = patch_size();
  const int p = pixels();
  // The sample's columns live in a per-thread buffer that stays in cache;
  // BackwardSample builds them again rather than reading a batch's worth
  // back from memory.
  float* col = ThreadScratch(kColSlot, static_cast<size_t>(rows) * p);
  Im2Col(in, col);
  for (int oc = 0; oc < g_.out_channels; ++oc) {
    std::fill(out + static_cast<size_t>(oc) * p, out + static_cast<size_t>(oc + 1) * p, b[oc]);
  }
  // y [oc, P] = W [oc, rows] * col [rows, P] + bias
  GemmSerial(false, false, g_.out_channels, p, rows, 1.0f, w, rows, col, p, 1.0f, out, p);
}

void Conv2d::BackwardSample(const float* in, const float* grad_out, float* dw, float* db,
                            float* grad_in) const {
  const float* w = params_->values() + weight_offset_;
  const int oc_count = g_.out_channels;
  if (direct_) {
    const PlaneGeometry plane{g_.in_height, g_.in_width, g_.kernel};
    float* wide = ThreadScratch(kWideSlot, static_cast<size_t>(plane.span()));
    DirectConvWeightGrad(plane, oc_count, in, grad_out, wide, dw, db);
    if (grad_in != nullptr) DirectConvInputGrad(plane, oc_count, w, grad_out, wide, grad_in);
    return;
  }
  const int rows = patch_size();
  const int p = pixels();
  const size_t col_size = static_cast<size_t>(rows) * p;
  float* col = ThreadScratch(kColSlot, col_size);
  Im2Col(in, col);
  // dW [oc, rows] += dY [oc, P] * col^T [P, rows]
  GemmSerial(false, true, oc_count, rows, p, 1.0f, grad_out, p, col, p, 1.0f, dw, rows);
  for (int oc = 0; oc < oc_count; ++oc) db[oc] += Sum(grad_out + static_cast<size_t>(oc) * p, p);
  if (grad_in != nullptr) {
    // dcol [rows, P] = W^T [rows, oc] * dY [oc, P]
    float* dcol = ThreadScratch(kGradColSlot, col_size);
    GemmSerial(true, false, rows, p, oc_count, 1.0f, w, rows, grad_out, p, 0.0f, dcol, p);
    Col2Im(dcol, grad_in);
  }
}

void Conv2d::Forward(const Tensor& in, Tensor* out, bool /*training*/) {
  out->Resize(in.batch, out_features());
  ParallelFor(in.batch, 1, 1, [&](int64_t begin, int64_t end) {
    for (int64_t n = begin; n < end; ++n) {
      ForwardSample(in.row(static_cast<int>(n)), out->row(static_cast<int>(n)));
    }
  });
}

void Conv2d::Backward(const Tensor& in, const Tensor& /*out*/, const Tensor& grad_out,
                      Tensor* grad_in) {
  const size_t w_size = static_cast<size_t>(g_.out_channels) * patch_size();
  const size_t part_size = w_size + g_.out_channels;
  const int groups = (in.batch + kGroupSize - 1) / kGroupSize;
  partials_.assign(part_size * groups, 0.0f);
  if (grad_in != nullptr) grad_in->Resize(in.batch, in_features());
  ParallelFor(groups, 1, 1, [&](int64_t group_begin, int64_t group_end) {
    for (int64_t group = group_begin; group < group_end; ++group) {
      float* dw = partials_.data() + part_size * group;
      const int first = static_cast<int>(group) * kGroupSize;
      const int last = std::min(in.batch, first + kGroupSize);
      for (int n = first; n < last; ++n) {
        BackwardSample(in.row(n), grad_out.row(n), dw, dw + w_size,
                       grad_in != nullptr ? grad_in->row(n) : nullptr);
      }
    }
  });
  AddPartials(partials_, groups, params_->grads() + weight_offset_,
              params_->grads() + bias_offset_);
}

void Conv2d::AddPartials(const std::vector<float>& partials, int groups, float* dw,
                         float* db) const {
  const size_t w_size = static_cast<size_t>(g_.out_channels) * patch_size();
  const size_t part_size = w_size + g_.out_channels;
  std::copy(partials.begin(), partials.begin() + static_cast<long>(w_size), dw);
  std::copy(partials.begin() + static_cast<long>(w_size),
            partials.begin() + static_cast<long>(part_size), db);
  for (int group = 1; group < groups; ++group) {
    const float* part = partials.data() + part_size * group;
    for (size_t i = 0; i < w_size; ++i) dw[i] += part[i];
    for (int oc = 0; oc < g_.out_channels; ++oc) db[oc] += part[w_size + oc];
  }
}

}  // namespace jobctl::trainer
