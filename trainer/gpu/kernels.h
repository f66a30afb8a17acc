// CUDA kernels of the GPU training path, as plain launch functions.
//
// Every function queues its kernel on `stream` and returns
// cudaGetLastError() (a bad launch configuration, a sticky error from
// earlier work), so callers wrap each call in JOBCTL_CUDA_RETURN_IF_ERROR
// and the message names the launch and its file:line. Errors inside a
// kernel surface at the next synchronising call.
//
// Layouts are row-major as on the CPU (trainer/tensor/tensor.h): sample n
// of a batch is row n; images are [N, C, H, W]. The arithmetic of each
// kernel follows the CPU implementation it replaces (named per function),
// operation by operation, so results agree to rounding.
//
// Thread-safety: the functions are stateless; ordering is the stream's.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace jobctl::trainer::gpu::kernels {

// out_x[i] = x[indices[i]] (rows of `features`), out_y[i] = y[indices[i]].
cudaError_t GatherRows(const float* x, const int* y, int features, const int* indices, int n,
                       float* out_x, int* out_y, cudaStream_t stream);

// x[i] = value.
cudaError_t Fill(float* x, float value, size_t count, cudaStream_t stream);

// y[r, f] += bias[f] for rows x features.
cudaError_t AddBias(float* y, const float* bias, int rows, int features, cudaStream_t stream);

// Convolution shape for im2col over a whole batch.
struct ConvShape {
  int channels = 1;  // input
  int height = 1;
  int width = 1;
  int kernel = 1;
  int stride = 1;
  int padding = 0;
  int out_height = 1;
  int out_width = 1;
};

// col[r][n][p], r = (c*k + ki)*k + kj over the patch, p an output pixel:
// the batch's patches side by side, so one GEMM covers the whole batch
// (Conv2d::Im2Col, per sample).
cudaError_t Im2Col(const float* x, int batch, const ConvShape& shape, float* col,
                   cudaStream_t stream);
// dx[n][c][y][x] = sum of the dcol[r][n][p] entries that im2col read from
// it (Conv2d::Col2Im): a gather per input element, no atomics.
cudaError_t Col2Im(const float* dcol, int batch, const ConvShape& shape, float* dx,
                   cudaStream_t stream);
// y[n][c][p] = yt[c][n*pixels + p] + bias[c].
cudaError_t ChannelMajorToBatchMajor(const float* yt, const float* bias, int batch, int channels,
                                     int pixels, float* y, cudaStream_t stream);
// yt[c][n*pixels + p] = y[n][c][p].
cudaError_t BatchMajorToChannelMajor(const float* y, int batch, int channels, int pixels, float* yt,
                                     cudaStream_t stream);

// Max pooling with a square window and stride = window (MaxPool2d): ties go
// to the first maximum in scan order; argmax holds its index within the
// sample's input.
cudaError_t MaxPoolForward(const float* x, int batch, int channels, int height, int width,
                           int window, float* y, int* argmax, cudaStream_t stream);
// dx[argmax[o]] = dy[o]; every other dx is zeroed first.
cudaError_t MaxPoolBackward(const float* dy, const int* argmax, int batch, int channels, int height,
                            int width, int window, float* dx, cudaStream_t stream);

enum class Activation { kRelu, kTanh, kSigmoid };
// y = f(x) (ReLU, Tanh, Sigmoid).
cudaError_t ActivationForward(Activation f, const float* x, float* y, size_t count,
                              cudaStream_t stream);
// dx = dy * f'(x), from the output y (ReLU: y > 0; Tanh: 1 - y^2;
// Sigmoid: y (1 - y)).
cudaError_t ActivationBackward(Activation f, const float* y, const float* dy, float* dx,
                               size_t count, cudaStream_t stream);

// Inverted dropout (Dropout): mask[i] = 0 with probability p, else
// 1/(1-p); y = x * mask. The uniform draw of element i is a counter-based
// hash of (key, i): the same key gives the same mask.
cudaError_t DropoutForward(const float* x, float* y, float* mask, size_t count, float p,
                           uint64_t key, cudaStream_t stream);
// out = a * b, elementwise (dropout's backward pass).
cudaError_t Multiply(const float* a, const float* b, float* out, size_t count, cudaStream_t stream);

// Losses (trainer/losses/*.cc), mean reduction. `values` gets the summands
// of the loss (one per sample for cross entropy, one per element for the
// others), `grad` dLoss/dLogits; labels as DenseTarget reads them.
cudaError_t CrossEntropy(const float* logits, const int* labels, int batch, int classes,
                         float* values, float* grad, cudaStream_t stream);
cudaError_t BinaryCrossEntropy(const float* logits, const int* labels, int batch, int features,
                               float* values, float* grad, cudaStream_t stream);
cudaError_t MeanSquaredError(const float* logits, const int* labels, int batch, int features,
                             float* values, float* grad, cudaStream_t stream);

// *out (+)= sum of values[0, count) in double, in a fixed order (one block:
// the result does not depend on timing). accumulate: add to *out instead of
// overwriting it.
cudaError_t SumToDouble(const float* values, size_t count, double* out, bool accumulate,
                        cudaStream_t stream);

// *correct += number of rows whose prediction equals the label (argmax,
// first maximum; one output: output > threshold), as CountCorrect.
cudaError_t CountCorrect(const float* output, const int* labels, int batch, int features,
                         float threshold, int* correct, cudaStream_t stream);

// Optimizer updates over flat buffers, the CPU formulas element by element
// (trainer/optimizers/*.cc).
struct SgdConstants {
  float lr;
  float momentum;
  float dampening;
  float weight_decay;
  bool nesterov;
  bool first_step;
};
// momentum_buffer may be null when momentum is 0.
cudaError_t SgdStep(const SgdConstants& k, float* params, const float* grads,
                    float* momentum_buffer, size_t count, cudaStream_t stream);

struct AdamConstants {
  float beta1;
  float beta2;
  float weight_decay;
  float eps;
  float step_size;     // lr / (1 - beta1^t)
  float inv_sqrt_bc2;  // 1 / sqrt(1 - beta2^t)
};
cudaError_t AdamStep(const AdamConstants& k, float* params, const float* grads, float* exp_avg,
                     float* exp_avg_sq, size_t count, cudaStream_t stream);

struct AdadeltaConstants {
  float lr;
  float rho;
  float eps;
  float weight_decay;
};
cudaError_t AdadeltaStep(const AdadeltaConstants& k, float* params, const float* grads,
                         float* square_avg, float* acc_delta, size_t count, cudaStream_t stream);

}  // namespace jobctl::trainer::gpu::kernels
