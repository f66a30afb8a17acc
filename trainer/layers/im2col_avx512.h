// AVX-512 im2col and col2im for a stride-1, unpadded convolution (the
// common case of Conv2d): rows move as masked 16-float blocks, and col2im
// computes every input pixel once as the sum of its patches' columns
// instead of adding each column back into the image.
//
// Both return false (doing nothing) when the CPU lacks AVX-512; Conv2d then
// uses its portable loops.
#pragma once

namespace jobctl::trainer {

struct PlainConvShape {
  int channels = 1;
  int height = 1;
  int width = 1;
  int kernel = 1;
  int out_height() const { return height - kernel + 1; }
  int out_width() const { return width - kernel + 1; }
};

// col [C*k*k][OH*OW]: column p holds the input patch of output pixel p.
bool Im2ColPlainAvx512(const PlainConvShape& s, const float* sample, float* col);

// sample [C][H][W] = the sum over patches of col's columns (overwritten).
bool Col2ImPlainAvx512(const PlainConvShape& s, const float* col, float* sample);

}  // namespace jobctl::trainer
