// The convolution and pooling kernels (direct single-channel convolution,
// AVX-512 im2col/col2im, one-pass max-pool backward) against straightforward
// loops, on random shapes: widths above one 16-float vector, odd sizes,
// strides and padding the CLI accepts, batches that are not a multiple of
// the gradient group.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "trainer/layers/conv2d.h"
#include "trainer/layers/conv2d_direct.h"
#include "trainer/layers/conv_pool_relu.h"
#include "trainer/layers/max_pool2d.h"
#include "trainer/layers/relu.h"
#include "trainer/tensor/parameter_buffer.h"
#include "trainer/tensor/rng.h"
#include "trainer/tensor/tensor.h"

namespace jobctl::trainer {
namespace {

struct Reference {
  std::vector<double> out;      // [N][OC][OH][OW]
  std::vector<double> dw;       // [OC][C][k][k]
  std::vector<double> db;       // [OC]
  std::vector<double> grad_in;  // [N][C][H][W]
};

Reference ReferenceConv(const ConvGeometry& g, int batch, const std::vector<float>& x,
                        const float* w, const float* b, const std::vector<float>& dy) {
  const int oh = g.out_height();
  const int ow = g.out_width();
  const int k = g.kernel;
  Reference r;
  r.out.assign(static_cast<size_t>(batch) * g.out_channels * oh * ow, 0.0);
  r.dw.assign(static_cast<size_t>(g.out_channels) * g.in_channels * k * k, 0.0);
  r.db.assign(static_cast<size_t>(g.out_channels), 0.0);
  r.grad_in.assign(static_cast<size_t>(batch) * g.in_channels * g.in_height * g.in_width, 0.0);
  for (int n = 0; n < batch; ++n) {
    for (int oc = 0; oc < g.out_channels; ++oc) {
      for (int oy = 0; oy < oh; ++oy) {
        for (int ox = 0; ox < ow; ++ox) {
          const size_t o = ((static_cast<size_t>(n) * g.out_channels + oc) * oh + oy) * ow + ox;
          double sum = b[oc];
          const double d = dy[o];
          r.db[oc] += d;
          for (int c = 0; c < g.in_channels; ++c) {
            for (int ki = 0; ki < k; ++ki) {
              for (int kj = 0; kj < k; ++kj) {
                const int iy = oy * g.stride - g.padding + ki;
                const int ix = ox * g.stride - g.padding + kj;
                if (iy < 0 || iy >= g.in_height || ix < 0 || ix >= g.in_width) continue;
                const size_t i =
                    ((static_cast<size_t>(n) * g.in_channels + c) * g.in_height + iy) * g.in_width +
                    ix;
                const size_t wi = ((static_cast<size_t>(oc) * g.in_channels + c) * k + ki) * k + kj;
                sum += static_cast<double>(w[wi]) * x[i];
                r.dw[wi] += d * x[i];
                r.grad_in[i] += d * w[wi];
              }
            }
          }
          r.out[o] = sum;
        }
      }
    }
  }
  return r;
}

void ExpectClose(const float* got, const std::vector<double>& want, const std::string& what) {
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_NEAR(got[i], want[i], 1e-4 * (1.0 + std::fabs(want[i]))) << what << " [" << i << "]";
  }
}

void CheckConv(const ConvGeometry& g, int batch, uint64_t seed) {
  SCOPED_TRACE("in " + std::to_string(g.in_channels) + "x" + std::to_string(g.in_height) + "x" +
               std::to_string(g.in_width) + " out " + std::to_string(g.out_channels) + " k " +
               std::to_string(g.kernel) + " stride " + std::to_string(g.stride) + " padding " +
               std::to_string(g.padding) + " batch " + std::to_string(batch));
  ParameterBuffer params;
  Conv2d layer(g, "layers.0", &params);
  params.Finalize();
  Pcg32 rng(seed, 5);
  layer.Initialize(&rng);
  Tensor x;
  x.Resize(batch, layer.in_features());
  for (float& v : x.data) v = rng.Uniform(-1.0f, 1.0f);
  Tensor y;
  layer.Forward(x, &y, true);
  Tensor dy;
  dy.Resize(batch, layer.out_features());
  for (float& v : dy.data) v = rng.Uniform(-1.0f, 1.0f);
  Tensor dx;
  dx.Resize(batch, layer.in_features());
  std::fill(dx.data.begin(), dx.data.end(), 7.0f);  // stale values must not survive
  layer.Backward(x, y, dy, &dx);
  const size_t w_offset = params.parameters()[0].offset;
  const size_t b_offset = params.parameters()[1].offset;
  const float* w = params.values() + w_offset;
  const float* b = params.values() + b_offset;
  Reference r = ReferenceConv(g, batch, x.data, w, b, dy.data);
  ExpectClose(y.data.data(), r.out, "output");
  ExpectClose(params.grads() + w_offset, r.dw, "weight gradient");
  ExpectClose(params.grads() + b_offset, r.db, "bias gradient");
  ExpectClose(dx.data.data(), r.grad_in, "input gradient");

  // The first layer of a model gets no input gradient: same parameter gradients.
  layer.Backward(x, y, dy, nullptr);
  ExpectClose(params.grads() + w_offset, r.dw, "weight gradient without input gradient");
}

TEST(ConvKernelsTest, SingleChannelDirectPathMatchesLoops) {
  uint64_t seed = 1;
  for (int height : {3, 7, 28}) {
    for (int width : {3, 17, 28, 40}) {
      for (int kernel : {1, 3, 5}) {
        if (kernel > height || kernel > width) continue;
        for (int batch : {1, 9}) CheckConv({1, height, width, 4, kernel, 1, 0}, batch, ++seed);
      }
    }
  }
}

TEST(ConvKernelsTest, MultiChannelPlainPathMatchesLoops) {
  uint64_t seed = 100;
  for (int channels : {2, 5}) {
    for (int width : {4, 13, 19, 35}) {
      for (int kernel : {1, 2, 3}) {
        for (int batch : {1, 10}) {
          CheckConv({channels, 11, width, 3, kernel, 1, 0}, batch, ++seed);
        }
      }
    }
  }
}

TEST(ConvKernelsTest, StrideAndPaddingMatchLoops) {
  uint64_t seed = 200;
  for (int channels : {1, 3}) {
    for (int stride : {1, 2, 3}) {
      for (int padding : {0, 1, 2}) {
        if (stride == 1 && padding == 0) continue;
        CheckConv({channels, 9, 21, 2, 3, stride, padding}, 5, ++seed);
      }
    }
  }
}

TEST(ConvKernelsTest, DirectKernelsAgreeWithTheirPortableVersions) {
  Pcg32 rng(300, 1);
  for (int width : {5, 16, 28, 33}) {
    for (int kernel : {1, 3, 4}) {
      const PlaneGeometry g{12, width, kernel};
      const int channels = 6;
      const int taps = kernel * kernel;
      std::vector<float> in(static_cast<size_t>(g.height) * width);
      std::vector<float> w(static_cast<size_t>(channels) * taps);
      std::vector<float> b(channels);
      std::vector<float> dy(static_cast<size_t>(channels) * g.pixels());
      for (auto* v : {&in, &w, &b, &dy}) {
        for (float& f : *v) f = rng.Uniform(-1.0f, 1.0f);
      }
      std::vector<float> wide(static_cast<size_t>(g.span()));
      std::vector<float> out1(dy.size());
      std::vector<float> out2(dy.size());
      DirectConvForward(g, channels, in.data(), w.data(), b.data(), wide.data(), out1.data());
      DirectConvForwardPortable(g, channels, in.data(), w.data(), b.data(), wide.data(),
                                out2.data());
      for (size_t i = 0; i < out1.size(); ++i) ASSERT_NEAR(out1[i], out2[i], 1e-5) << i;
      std::vector<float> dw1(w.size(), 0.5f);
      std::vector<float> dw2(w.size(), 0.5f);
      std::vector<float> db1(b.size(), 0.25f);
      std::vector<float> db2(b.size(), 0.25f);
      DirectConvWeightGrad(g, channels, in.data(), dy.data(), wide.data(), dw1.data(), db1.data());
      DirectConvWeightGradPortable(g, channels, in.data(), dy.data(), wide.data(), dw2.data(),
                                   db2.data());
      for (size_t i = 0; i < dw1.size(); ++i) ASSERT_NEAR(dw1[i], dw2[i], 1e-4) << i;
      for (size_t i = 0; i < db1.size(); ++i) ASSERT_NEAR(db1[i], db2[i], 1e-4) << i;
    }
  }
}

// 2x2 pooling backward against a scalar scan, with ties (coarse values),
// odd sizes and rows wider than one vector.
TEST(ConvKernelsTest, MaxPoolBackwardMatchesLoops) {
  Pcg32 rng(400, 1);
  for (int height : {2, 5, 26}) {
    for (int width : {2, 7, 26, 37, 65}) {
      const int channels = 3;
      const int batch = 2;
      MaxPool2d pool(channels, height, width, 2);
      Tensor x;
      x.Resize(batch, pool.in_features());
      for (float& v : x.data) v = static_cast<float>(rng.NextBounded(4));
      Tensor y;
      pool.Forward(x, &y, false);
      Tensor g;
      g.Resize(batch, pool.out_features());
      for (float& v : g.data) v = rng.Uniform(-1.0f, 1.0f);
      Tensor dx;
      dx.Resize(batch, pool.in_features());
      std::fill(dx.data.begin(), dx.data.end(), 9.0f);
      pool.Backward(x, y, g, &dx);
      const int oh = height / 2;
      const int ow = width / 2;
      std::vector<float> want(x.size(), 0.0f);
      for (int n = 0; n < batch; ++n) {
        for (int c = 0; c < channels; ++c) {
          for (int oy = 0; oy < oh; ++oy) {
            for (int ox = 0; ox < ow; ++ox) {
              const size_t base = static_cast<size_t>(n) * pool.in_features() +
                                  (static_cast<size_t>(c) * height + 2 * oy) * width + 2 * ox;
              size_t best = base;
              for (size_t i : {base, base + 1, base + width, base + width + 1}) {
                if (x.data[i] > x.data[best]) best = i;
              }
              const size_t o = static_cast<size_t>(n) * pool.out_features() +
                               (static_cast<size_t>(c) * oh + oy) * ow + ox;
              ASSERT_EQ(y.data[o], x.data[best]);
              want[best] = g.data[o];
            }
          }
        }
      }
      for (size_t i = 0; i < want.size(); ++i) {
        ASSERT_EQ(dx.data[i], want[i]) << height << "x" << width << " [" << i << "]";
      }
    }
  }
}

// The fused block against Conv2d, MaxPool2d and ReLU run one after the
// other (the CNN's former layers), with the same parameters: outputs, both
// parameter gradients, and the input gradient when one is asked for.
TEST(ConvKernelsTest, FusedConvPoolReLUMatchesTheSeparateLayers) {
  Pcg32 rng(500, 1);
  for (ConvGeometry g : {ConvGeometry{1, 28, 28, 32, 3, 1, 0}, ConvGeometry{1, 9, 12, 3, 3, 1, 0},
                         ConvGeometry{1, 12, 41, 5, 3, 1, 0}, ConvGeometry{1, 10, 9, 4, 2, 1, 0},
                         ConvGeometry{1, 7, 7, 2, 1, 1, 0}, ConvGeometry{32, 13, 13, 64, 3, 1, 0},
                         ConvGeometry{3, 9, 10, 4, 3, 2, 1}, ConvGeometry{2, 8, 8, 3, 2, 1, 1},
                         ConvGeometry{32, 9, 10, 5, 3, 2, 1}}) {
    SCOPED_TRACE(std::to_string(g.in_channels) + "x" + std::to_string(g.in_height) + "x" +
                 std::to_string(g.in_width) + " k " + std::to_string(g.kernel) + " stride " +
                 std::to_string(g.stride) + " padding " + std::to_string(g.padding));
    ParameterBuffer fused_params;
    ConvPoolReLU fused(g, "layers.0", &fused_params);
    fused_params.Finalize();
    ParameterBuffer params;
    Conv2d conv(g, "layers.0", &params);
    params.Finalize();
    Pcg32 init(501, 2);
    fused.Initialize(&init);
    Pcg32 init_again(501, 2);
    conv.Initialize(&init_again);
    ASSERT_EQ(fused_params.size(), params.size());
    MaxPool2d pool(g.out_channels, g.out_height(), g.out_width(), 2);
    ReLU relu(pool.out_features());
    ASSERT_EQ(fused.out_features(), relu.out_features());
    for (int batch : {1, 11}) {
      Tensor x;
      x.Resize(batch, fused.in_features());
      for (float& v : x.data) v = rng.Uniform(-1.0f, 1.0f);
      Tensor y;
      fused.Forward(x, &y, true);
      Tensor c;
      Tensor p;
      Tensor r;
      conv.Forward(x, &c, true);
      pool.Forward(c, &p, true);
      relu.Forward(p, &r, true);
      for (size_t i = 0; i < r.size(); ++i) ASSERT_NEAR(y.data[i], r.data[i], 1e-5) << i;
      Tensor dy;
      dy.Resize(batch, fused.out_features());
      for (float& v : dy.data) v = rng.Uniform(-1.0f, 1.0f);
      Tensor dp;
      Tensor dc;
      Tensor dx;
      relu.Backward(p, r, dy, &dp);
      pool.Backward(c, p, dp, &dc);
      conv.Backward(x, c, dc, &dx);
      for (bool with_input_gradient : {false, true}) {
        Tensor fused_dx;
        fused.Backward(x, y, dy, with_input_gradient ? &fused_dx : nullptr);
        for (size_t i = 0; i < params.size(); ++i) {
          ASSERT_NEAR(fused_params.grads()[i], params.grads()[i],
                      1e-4 * (1.0 + std::fabs(params.grads()[i])))
              << "parameter gradient " << i;
        }
        if (!with_input_gradient) continue;
        for (size_t i = 0; i < dx.size(); ++i) {
          ASSERT_NEAR(fused_dx.data[i], dx.data[i], 1e-5) << "input gradient " << i;
        }
      }
    }
  }
}

// Pooling codes: the first maximum in scan order, 4 where ReLU cuts.
TEST(ConvKernelsTest, PoolReLUCodesPickTheFirstMaximum) {
  // One channel, 2x4 input: windows {1, 1; 0, 1} and {-1, -2; -3, -1}.
  const float conv[8] = {1.0f, 1.0f, -1.0f, -2.0f, 0.0f, 1.0f, -3.0f, -1.0f};
  float out[2];
  uint8_t codes[2];
  PoolReLUForward(conv, 1, 2, 4, out, codes);
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_EQ(codes[0], 0);
  EXPECT_EQ(out[1], 0.0f);
  EXPECT_EQ(codes[1], 4);
  const float g[2] = {2.0f, 3.0f};
  float grad_conv[8];
  std::fill(grad_conv, grad_conv + 8, 9.0f);
  PoolReLUBackward(g, codes, 1, 2, 4, grad_conv);
  const float want[8] = {2.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(grad_conv[i], want[i]) << i;
}

}  // namespace
}  // namespace jobctl::trainer
