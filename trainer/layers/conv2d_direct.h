// Direct kernels for a stride-1, unpadded convolution of a single-channel
// input (the first layer of an image model), where im2col + GEMM would
// multiply with an inner dimension of only kernel * kernel.
//
// They work on "wide" rows: output pixel (y, x) is computed at the flat
// index q = y * width + x, so kernel tap (i, j) reads the input at the fixed
// offset i * width + j and every tap is one contiguous multiply-add over
// [0, span()); the width - out_width columns after each output row are
// computed and dropped (forward) or held at zero (backward). Each kernel
// handles one sample, in a fixed order (the result does not depend on the
// thread that runs it). With AVX-512 and a 3x3 kernel (unrolled into registers) they use
// intrinsics that work on output rows in masked blocks of 16 pixels; the
// portable versions (the *Portable functions, compiled for AVX-512, AVX2 and
// baseline x86-64 and picked at load time) use the wide rows.
#pragma once

namespace jobctl::trainer {

struct PlaneGeometry {
  int height = 1;
  int width = 1;
  int kernel = 1;
  int out_height() const { return height - kernel + 1; }
  int out_width() const { return width - kernel + 1; }
  int pixels() const { return out_height() * out_width(); }
  // Wide positions computed per output channel.
  int span() const { return (out_height() - 1) * width + out_width(); }
};

// out [oc][oh * ow] = bias[oc] + sum of taps weight [oc][k * k] * input
// patch. in: [height * width]. wide: scratch of span() floats.
void DirectConvForward(const PlaneGeometry& g, int out_channels, const float* in,
                       const float* weight, const float* bias, float* wide, float* out);

// dw [oc][k * k] += sum over pixels of grad_out * input patch, and
// db [oc] += sum of grad_out [oc]. wide: scratch of span() floats.
void DirectConvWeightGrad(const PlaneGeometry& g, int out_channels, const float* in,
                          const float* grad_out, float* wide, float* dw, float* db);

// grad_in [height * width] = sum over channels and taps of weight *
// grad_out (overwritten). wide: scratch of span() floats.
void DirectConvInputGrad(const PlaneGeometry& g, int out_channels, const float* weight,
                         const float* grad_out, float* wide, float* grad_in);

// The wide-row versions, whatever the CPU (tests compare the two).
void DirectConvForwardPortable(const PlaneGeometry& g, int out_channels, const float* in,
                               const float* weight, const float* bias, float* wide, float* out);
void DirectConvWeightGradPortable(const PlaneGeometry& g, int out_channels, const float* in,
                                  const float* grad_out, float* wide, float* dw, float* db);

}  // namespace jobctl::trainer
