// The backward pass of a convolution whose output gradient is nonzero only
// at one pixel per 2x2 pooling window (ConvPoolReLU: the pooled gradient
// goes to the window's winning pixel, or nowhere when ReLU cut it). Instead
// of dense GEMMs over every output pixel, each winning pixel adds its
// gradient times the input patch to the weight gradient, and times the
// weights to the input gradient: at most a quarter of the work, less where
// ReLU cuts.
//
// Channels are innermost ("HWC") in every operand so each kernel tap is one
// contiguous multiply-add over the input channels: the caller transposes the
// input sample and the weights once ([C][H][W] -> [H][W][C] and
// [OC][C][k][k] -> [OC][k][k][C]) and the gradients back. The sums run in a
// fixed order (output channel, then pooled position), so results do not
// depend on the thread that runs them.
#pragma once

#include <cstdint>

#include "trainer/layers/conv2d.h"

namespace jobctl::trainer {

// codes [OC][PH][PW] (0-3: window position of the winner in scan order,
// anything else: no gradient) and grad [OC][PH][PW] give the output
// gradient. in_hwc [H][W][C]; weight_t [OC][k][k][C]. Adds to
// dweight_t [OC][k][k][C] and dbias [OC]; when dx_hwc is not null, adds the
// input gradient to it ([H][W][C]).
void SparseConvBackward(const ConvGeometry& g, const uint8_t* codes, const float* grad,
                        int pooled_height, int pooled_width, const float* in_hwc,
                        const float* weight_t, float* dweight_t, float* dbias, float* dx_hwc);

// dst [cols][rows] = src [rows][cols]^T.
void Transpose(const float* src, int rows, int cols, float* dst);

}  // namespace jobctl::trainer
