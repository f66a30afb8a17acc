// CudnnConv: one Conv2d layer (NCHW, cross-correlation, as torch.nn.Conv2d)
// through cuDNN's convolution routines: cudnnConvolutionForward plus
// cudnnAddTensor for the bias, cudnnConvolutionBackwardFilter / Data /
// Bias for the gradients. Algorithms come from cuDNN's heuristics
// (cudnnGet*Algorithm_v7), taking the first that succeeds, runs in FP32
// and fits kMaxWorkspaceBytes, deterministic ones first; they are chosen
// once per batch size. Math is plain FP32 FMA (CUDNN_FMA_MATH, no TF32), as the CPU
// path computes. Weights are [oc, ic, k, k] as in the ParameterBuffer.
//
// Built without cuDNN (JOBCTL_HAVE_CUDNN unset), Available() is false and
// Create() returns kFailedPrecondition; GpuModel then uses im2col + cuBLAS.
//
// Thread-safety: not thread-safe; one owner. Work goes to the legacy
// default stream.
#pragma once

#include <memory>

#include "common/status.h"
#include "trainer/layers/conv2d.h"

namespace jobctl::trainer::gpu {

class CudnnConv {
 public:
  static constexpr size_t kMaxWorkspaceBytes = size_t{1} << 30;

  static bool Available();
  static Result<std::unique_ptr<CudnnConv>> Create(const ConvGeometry& geometry);
  ~CudnnConv();
  CudnnConv(const CudnnConv&) = delete;
  CudnnConv& operator=(const CudnnConv&) = delete;

  // y [n, oc, oh, ow] = conv(x [n, ic, h, w], w) + b (device pointers).
  Status Forward(const float* x, const float* w, const float* b, int batch, float* y);
  // Overwrites dw and db; dx (may be null) gets dLoss/dx.
  Status Backward(const float* x, const float* w, const float* dy, int batch, float* dw, float* db,
                  float* dx);

 private:
  struct Impl;
  explicit CudnnConv(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace jobctl::trainer::gpu
