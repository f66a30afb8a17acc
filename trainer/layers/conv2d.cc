#include "trainer/layers/conv2d.h"

#include <algorithm>
#include <cmath>

#include "trainer/tensor/blas.h"

namespace jobctl::trainer {

Conv2d::Conv2d(const ConvGeometry& geometry, const std::string& prefix, ParameterBuffer* params)
    : g_(geometry), params_(params) {
  weight_offset_ =
      params->Reserve(prefix + ".weight", {g_.out_channels, g_.in_channels, g_.kernel, g_.kernel});
  bias_offset_ = params->Reserve(prefix + ".bias", {g_.out_channels});
}

std::string Conv2d::Describe() const {
  return "Conv2d(" + std::to_string(g_.in_channels) + ", " + std::to_string(g_.out_channels) +
         ", kernel_size=" + std::to_string(g_.kernel) + ")";
}

void Conv2d::Initialize(Pcg32* rng) {
  int fan_in = g_.in_channels * g_.kernel * g_.kernel;
  float bound = 1.0f / std::sqrt(static_cast<float>(fan_in));
  float* w = params_->values() + weight_offset_;
  for (int i = 0; i < g_.out_channels * fan_in; ++i) w[i] = rng->Uniform(-bound, bound);
  float* b = params_->values() + bias_offset_;
  for (int i = 0; i < g_.out_channels; ++i) b[i] = rng->Uniform(-bound, bound);
}

void Conv2d::Im2Col(const Tensor& in) {
  const int k = g_.kernel;
  const int oh = g_.out_height();
  const int ow = g_.out_width();
  const size_t p = static_cast<size_t>(oh) * ow;
  const size_t np = p * in.batch;
  const int rows = g_.in_channels * k * k;
  col_.resize(static_cast<size_t>(rows) * np);
  const int plane = g_.in_height * g_.in_width;
  for (int c = 0; c < g_.in_channels; ++c) {
    for (int ki = 0; ki < k; ++ki) {
      for (int kj = 0; kj < k; ++kj) {
        float* dst_row = col_.data() + static_cast<size_t>((c * k + ki) * k + kj) * np;
        for (int n = 0; n < in.batch; ++n) {
          const float* src = in.row(n) + static_cast<size_t>(c) * plane;
          float* dst = dst_row + static_cast<size_t>(n) * p;
          for (int oy = 0; oy < oh; ++oy) {
            int iy = oy * g_.stride - g_.padding + ki;
            float* d = dst + static_cast<size_t>(oy) * ow;
            if (iy < 0 || iy >= g_.in_height) {
              std::fill(d, d + ow, 0.0f);
              continue;
            }
            const float* s = src + static_cast<size_t>(iy) * g_.in_width;
            if (g_.stride == 1 && g_.padding == 0) {
              std::copy(s + kj, s + kj + ow, d);
              continue;
            }
            for (int ox = 0; ox < ow; ++ox) {
              int ix = ox * g_.stride - g_.padding + kj;
              d[ox] = (ix < 0 || ix >= g_.in_width) ? 0.0f : s[ix];
            }
          }
        }
      }
    }
  }
}

void Conv2d::Col2Im(int batch, Tensor* grad_in) const {
  const int k = g_.kernel;
  const int oh = g_.out_height();
  const int ow = g_.out_width();
  const size_t p = static_cast<size_t>(oh) * ow;
  const size_t np = p * batch;
  const int plane = g_.in_height * g_.in_width;
  grad_in->Resize(batch, in_features());
  std::fill(grad_in->data.begin(), grad_in->data.begin() + static_cast<long>(grad_in->size()),
            0.0f);
  for (int c = 0; c < g_.in_channels; ++c) {
    for (int ki = 0; ki < k; ++ki) {
      for (int kj = 0; kj < k; ++kj) {
        const float* src_row = grad_col_.data() + static_cast<size_t>((c * k + ki) * k + kj) * np;
        for (int n = 0; n < batch; ++n) {
          float* dst = grad_in->row(n) + static_cast<size_t>(c) * plane;
          const float* s = src_row + static_cast<size_t>(n) * p;
          for (int oy = 0; oy < oh; ++oy) {
            int iy = oy * g_.stride - g_.padding + ki;
            if (iy < 0 || iy >= g_.in_height) continue;
            float* d = dst + static_cast<size_t>(iy) * g_.in_width;
            const float* sr = s + static_cast<size_t>(oy) * ow;
            for (int ox = 0; ox < ow; ++ox) {
              int ix = ox * g_.stride - g_.padding + kj;
              if (ix >= 0 && ix < g_.in_width) d[ix] += sr[ox];
            }
          }
        }
      }
    }
  }
}

void Conv2d::Forward(const Tensor& in, Tensor* out, bool /*training*/) {
  Im2Col(in);
  const int rows = g_.in_channels * g_.kernel * g_.kernel;
  const size_t p = static_cast<size_t>(g_.out_height()) * g_.out_width();
  const int np = static_cast<int>(p * in.batch);
  product_.resize(static_cast<size_t>(g_.out_channels) * np);
  const float* w = params_->values() + weight_offset_;
  const float* b = params_->values() + bias_offset_;
  Gemm(false, false, g_.out_channels, np, rows, 1.0f, w, rows, col_.data(), np, 0.0f,
       product_.data(), np);
  out->Resize(in.batch, out_features());
  for (int n = 0; n < in.batch; ++n) {
    float* dst = out->row(n);
    for (int oc = 0; oc < g_.out_channels; ++oc) {
      const float* src = product_.data() + static_cast<size_t>(oc) * np + n * p;
      float* d = dst + oc * p;
      const float bias = b[oc];
      for (size_t i = 0; i < p; ++i) d[i] = src[i] + bias;
    }
  }
}

void Conv2d::Backward(const Tensor& in, const Tensor& /*out*/, const Tensor& grad_out,
                      Tensor* grad_in) {
  const int rows = g_.in_channels * g_.kernel * g_.kernel;
  const size_t p = static_cast<size_t>(g_.out_height()) * g_.out_width();
  const int np = static_cast<int>(p * in.batch);
  // Reorder dY from [n, oc, p] to [oc, n*P + p]; reuse product_ as storage.
  float* dy = product_.data();
  float* db = params_->grads() + bias_offset_;
  for (int oc = 0; oc < g_.out_channels; ++oc) {
    float sum = 0.0f;
    float* d = dy + static_cast<size_t>(oc) * np;
    for (int n = 0; n < in.batch; ++n) {
      const float* src = grad_out.row(n) + oc * p;
      float* dn = d + n * p;
      for (size_t i = 0; i < p; ++i) {
        dn[i] = src[i];
        sum += src[i];
      }
    }
    db[oc] = sum;
  }
  float* dw = params_->grads() + weight_offset_;
  Gemm(false, true, g_.out_channels, rows, np, 1.0f, dy, np, col_.data(), np, 0.0f, dw, rows);
  if (grad_in != nullptr) {
    grad_col_.resize(static_cast<size_t>(rows) * np);
    const float* w = params_->values() + weight_offset_;
    Gemm(true, false, rows, np, g_.out_channels, 1.0f, w, rows, dy, np, 0.0f, grad_col_.data(),
         np);
    Col2Im(in.batch, grad_in);
  }
}

}  // namespace jobctl::trainer
