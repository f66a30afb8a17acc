// The CUDA kernels of the GPU training path (see kernels.h). One file, so
// that nvcc runs once.
#include <algorithm>

#include "trainer/gpu/kernels.h"

namespace jobctl::trainer::gpu::kernels {
namespace {

constexpr int kThreads = 256;

// Blocks for a grid-stride loop over `count` items.
unsigned Blocks(size_t count) {
  const size_t blocks = (count + kThreads - 1) / kThreads;
  return static_cast<unsigned>(std::max<size_t>(1, std::min<size_t>(blocks, 1u << 16)));
}

__device__ inline size_t GlobalIndex() {
  return static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}
__device__ inline size_t GlobalStride() { return static_cast<size_t>(gridDim.x) * blockDim.x; }

// DenseTarget (trainer/losses/loss.h).
__device__ inline float Target(int label, int j, int features) {
  if (features == 1) return static_cast<float>(label);
  return label == j ? 1.0f : 0.0f;
}

// splitmix64's finaliser: a bijective 64-bit mix.
__device__ inline uint64_t Mix(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

__global__ void GatherRowsKernel(const float* x, const int* y, int features, const int* indices,
                                 int n, float* out_x, int* out_y) {
  const size_t total = static_cast<size_t>(n) * features;
  for (size_t i = GlobalIndex(); i < total; i += GlobalStride()) {
    const size_t row = i / features;
    const size_t col = i % features;
    const size_t src = static_cast<size_t>(indices[row]);
    out_x[i] = x[src * features + col];
    if (col == 0) out_y[row] = y[src];
  }
}

__global__ void FillKernel(float* x, float value, size_t count) {
  for (size_t i = GlobalIndex(); i < count; i += GlobalStride()) x[i] = value;
}

__global__ void AddBiasKernel(float* y, const float* bias, int rows, int features) {
  const size_t total = static_cast<size_t>(rows) * features;
  for (size_t i = GlobalIndex(); i < total; i += GlobalStride()) y[i] += bias[i % features];
}

__global__ void Im2ColKernel(const float* x, int batch, ConvShape s, float* col) {
  const size_t pixels = static_cast<size_t>(s.out_height) * s.out_width;
  const size_t np = static_cast<size_t>(batch) * pixels;
  const size_t total = static_cast<size_t>(s.channels) * s.kernel * s.kernel * np;
  for (size_t i = GlobalIndex(); i < total; i += GlobalStride()) {
    const int r = static_cast<int>(i / np);
    const size_t rest = i % np;
    const size_t n = rest / pixels;
    const int p = static_cast<int>(rest % pixels);
    const int c = r / (s.kernel * s.kernel);
    const int ki = (r / s.kernel) % s.kernel;
    const int kj = r % s.kernel;
    const int iy = (p / s.out_width) * s.stride - s.padding + ki;
    const int ix = (p % s.out_width) * s.stride - s.padding + kj;
    float value = 0.0f;
    if (iy >= 0 && iy < s.height && ix >= 0 && ix < s.width) {
      value = x[((n * s.channels + c) * s.height + iy) * s.width + ix];
    }
    col[i] = value;
  }
}

__global__ void Col2ImKernel(const float* dcol, int batch, ConvShape s, float* dx) {
  const size_t pixels = static_cast<size_t>(s.out_height) * s.out_width;
  const size_t np = static_cast<size_t>(batch) * pixels;
  const size_t plane = static_cast<size_t>(s.height) * s.width;
  const size_t total = static_cast<size_t>(batch) * s.channels * plane;
  for (size_t i = GlobalIndex(); i < total; i += GlobalStride()) {
    const size_t n = i / (s.channels * plane);
    const int c = static_cast<int>((i / plane) % s.channels);
    const int iy = static_cast<int>((i % plane) / s.width);
    const int ix = static_cast<int>(i % s.width);
    float sum = 0.0f;
    for (int ki = 0; ki < s.kernel; ++ki) {
      const int ty = iy + s.padding - ki;
      if (ty < 0 || ty % s.stride != 0) continue;
      const int oy = ty / s.stride;
      if (oy >= s.out_height) continue;
      for (int kj = 0; kj < s.kernel; ++kj) {
        const int tx = ix + s.padding - kj;
        if (tx < 0 || tx % s.stride != 0) continue;
        const int ox = tx / s.stride;
        if (ox >= s.out_width) continue;
        const size_t r = static_cast<size_t>((c * s.kernel + ki) * s.kernel + kj);
        sum += dcol[r * np + n * pixels + static_cast<size_t>(oy) * s.out_width + ox];
      }
    }
    dx[i] = sum;
  }
}

__global__ void ChannelMajorToBatchMajorKernel(const float* yt, const float* bias, int batch,
                                               int channels, int pixels, float* y) {
  const size_t cp = static_cast<size_t>(channels) * pixels;
  const size_t total = static_cast<size_t>(batch) * cp;
  for (size_t i = GlobalIndex(); i < total; i += GlobalStride()) {
    const size_t n = i / cp;
    const size_t c = (i / pixels) % channels;
    const size_t p = i % pixels;
    y[i] = yt[c * batch * pixels + n * pixels + p] + bias[c];
  }
}

__global__ void BatchMajorToChannelMajorKernel(const float* y, int batch, int channels, int pixels,
                                               float* yt) {
  const size_t np = static_cast<size_t>(batch) * pixels;
  const size_t total = static_cast<size_t>(channels) * np;
  for (size_t i = GlobalIndex(); i < total; i += GlobalStride()) {
    const size_t c = i / np;
    const size_t n = (i % np) / pixels;
    const size_t p = i % pixels;
    yt[i] = y[(n * channels + c) * pixels + p];
  }
}

__global__ void MaxPoolForwardKernel(const float* x, int batch, int channels, int height, int width,
                                     int window, float* y, int* argmax) {
  const int oh = height / window;
  const int ow = width / window;
  const size_t out_per_sample = static_cast<size_t>(channels) * oh * ow;
  const size_t in_per_sample = static_cast<size_t>(channels) * height * width;
  const size_t total = static_cast<size_t>(batch) * out_per_sample;
  for (size_t i = GlobalIndex(); i < total; i += GlobalStride()) {
    const size_t n = i / out_per_sample;
    const int o = static_cast<int>(i % out_per_sample);
    const int c = o / (oh * ow);
    const int oy = (o / ow) % oh;
    const int ox = o % ow;
    const float* sample = x + n * in_per_sample;
    int best = (c * height + oy * window) * width + ox * window;
    float best_value = sample[best];
    for (int wy = 0; wy < window; ++wy) {
      for (int wx = 0; wx < window; ++wx) {
        const int idx = (c * height + oy * window + wy) * width + ox * window + wx;
        if (sample[idx] > best_value) {  // strict: ties keep the first
          best_value = sample[idx];
          best = idx;
        }
      }
    }
    y[i] = best_value;
    argmax[i] = best;
  }
}

__global__ void MaxPoolBackwardKernel(const float* dy, const int* argmax, int batch,
                                      int out_per_sample, int in_per_sample, float* dx) {
  const size_t total = static_cast<size_t>(batch) * out_per_sample;
  for (size_t i = GlobalIndex(); i < total; i += GlobalStride()) {
    const size_t n = i / out_per_sample;
    // Windows do not overlap: each input takes at most one gradient.
    dx[n * in_per_sample + argmax[i]] = dy[i];
  }
}

__global__ void ActivationForwardKernel(Activation f, const float* x, float* y, size_t count) {
  for (size_t i = GlobalIndex(); i < count; i += GlobalStride()) {
    const float v = x[i];
    switch (f) {
      case Activation::kRelu:
        y[i] = v > 0.0f ? v : 0.0f;
        break;
      case Activation::kTanh:
        y[i] = tanhf(v);
        break;
      case Activation::kSigmoid:
        y[i] = 1.0f / (1.0f + expf(-v));
        break;
    }
  }
}

__global__ void ActivationBackwardKernel(Activation f, const float* y, const float* dy, float* dx,
                                         size_t count) {
  for (size_t i = GlobalIndex(); i < count; i += GlobalStride()) {
    const float v = y[i];
    switch (f) {
      case Activation::kRelu:
        dx[i] = v > 0.0f ? dy[i] : 0.0f;
        break;
      case Activation::kTanh:
        dx[i] = dy[i] * (1.0f - v * v);
        break;
      case Activation::kSigmoid:
        dx[i] = dy[i] * v * (1.0f - v);
        break;
    }
  }
}

__global__ void DropoutForwardKernel(const float* x, float* y, float* mask, size_t count, float p,
                                     float scale, uint64_t key) {
  for (size_t i = GlobalIndex(); i < count; i += GlobalStride()) {
    // 24 random bits, as Pcg32::NextFloat.
    const float u = static_cast<float>(Mix(key ^ Mix(i)) >> 40) * (1.0f / 16777216.0f);
    const float m = u < p ? 0.0f : scale;
    mask[i] = m;
    y[i] = x[i] * m;
  }
}

__global__ void MultiplyKernel(const float* a, const float* b, float* out, size_t count) {
  for (size_t i = GlobalIndex(); i < count; i += GlobalStride()) out[i] = a[i] * b[i];
}

// One thread per sample: CrossEntropy::Compute's loop for one row.
__global__ void CrossEntropyKernel(const float* logits, const int* labels, int batch, int classes,
                                   float* values, float* grad) {
  const float inv_batch = 1.0f / static_cast<float>(batch);
  for (size_t n = GlobalIndex(); n < static_cast<size_t>(batch); n += GlobalStride()) {
    const float* x = logits + n * classes;
    float* g = grad + n * classes;
    float max_value = x[0];
    for (int j = 1; j < classes; ++j) max_value = x[j] > max_value ? x[j] : max_value;
    float sum = 0.0f;
    for (int j = 0; j < classes; ++j) {
      g[j] = expf(x[j] - max_value);
      sum += g[j];
    }
    const float log_sum = logf(sum) + max_value;
    const int label = labels[n];
    values[n] = log_sum - x[label];
    const float inv_sum = 1.0f / sum;
    for (int j = 0; j < classes; ++j) g[j] = g[j] * inv_sum * inv_batch;
    g[label] -= inv_batch;
  }
}

__global__ void BinaryCrossEntropyKernel(const float* logits, const int* labels, int batch,
                                         int features, float* values, float* grad) {
  const size_t total = static_cast<size_t>(batch) * features;
  const float inv_count = 1.0f / static_cast<float>(total);
  for (size_t i = GlobalIndex(); i < total; i += GlobalStride()) {
    const float t = Target(labels[i / features], static_cast<int>(i % features), features);
    const float v = logits[i];
    values[i] = (v > 0.0f ? v : 0.0f) - v * t + log1pf(expf(-fabsf(v)));
    const float p = 1.0f / (1.0f + expf(-v));
    grad[i] = (p - t) * inv_count;
  }
}

__global__ void MeanSquaredErrorKernel(const float* logits, const int* labels, int batch,
                                       int features, float* values, float* grad) {
  const size_t total = static_cast<size_t>(batch) * features;
  const float scale = 2.0f / static_cast<float>(total);
  for (size_t i = GlobalIndex(); i < total; i += GlobalStride()) {
    const float diff =
        logits[i] - Target(labels[i / features], static_cast<int>(i % features), features);
    values[i] = diff * diff;
    grad[i] = diff * scale;
  }
}

// One block: each thread sums a fixed stride, then a fixed tree.
__global__ void SumToDoubleKernel(const float* values, size_t count, double* out, bool accumulate) {
  __shared__ double partial[kThreads];
  double sum = 0.0;
  for (size_t i = threadIdx.x; i < count; i += kThreads) sum += static_cast<double>(values[i]);
  partial[threadIdx.x] = sum;
  __syncthreads();
  for (int half = kThreads / 2; half > 0; half /= 2) {
    if (threadIdx.x < half) partial[threadIdx.x] += partial[threadIdx.x + half];
    __syncthreads();
  }
  if (threadIdx.x == 0) *out = (accumulate ? *out : 0.0) + partial[0];
}

__global__ void CountCorrectKernel(const float* output, const int* labels, int batch, int features,
                                   float threshold, int* correct) {
  for (size_t n = GlobalIndex(); n < static_cast<size_t>(batch); n += GlobalStride()) {
    const float* row = output + n * features;
    int prediction = 0;
    if (features == 1) {
      prediction = row[0] > threshold ? 1 : 0;
    } else {
      for (int j = 1; j < features; ++j) {
        if (row[prediction] < row[j]) prediction = j;  // std::max_element: the first maximum
      }
    }
    if (prediction == labels[n]) atomicAdd(correct, 1);
  }
}

__global__ void SgdKernel(SgdConstants k, float* params, const float* grads, float* buf,
                          size_t count) {
  for (size_t i = GlobalIndex(); i < count; i += GlobalStride()) {
    float g = grads[i] + k.weight_decay * params[i];
    if (k.momentum != 0.0f) {
      buf[i] = k.first_step ? g : k.momentum * buf[i] + (1.0f - k.dampening) * g;
      g = k.nesterov ? g + k.momentum * buf[i] : buf[i];
    }
    params[i] -= k.lr * g;
  }
}

__global__ void AdamKernel(AdamConstants k, float* params, const float* grads, float* m, float* v,
                           size_t count) {
  for (size_t i = GlobalIndex(); i < count; i += GlobalStride()) {
    const float g = grads[i] + k.weight_decay * params[i];
    m[i] = k.beta1 * m[i] + (1.0f - k.beta1) * g;
    v[i] = k.beta2 * v[i] + (1.0f - k.beta2) * g * g;
    const float denom = sqrtf(v[i]) * k.inv_sqrt_bc2 + k.eps;
    params[i] -= k.step_size * m[i] / denom;
  }
}

__global__ void AdadeltaKernel(AdadeltaConstants k, float* params, const float* grads, float* sq,
                               float* acc, size_t count) {
  for (size_t i = GlobalIndex(); i < count; i += GlobalStride()) {
    const float g = grads[i] + k.weight_decay * params[i];
    sq[i] = k.rho * sq[i] + (1.0f - k.rho) * g * g;
    const float delta = sqrtf(acc[i] + k.eps) / sqrtf(sq[i] + k.eps) * g;
    acc[i] = k.rho * acc[i] + (1.0f - k.rho) * delta * delta;
    params[i] -= k.lr * delta;
  }
}

}  // namespace

cudaError_t GatherRows(const float* x, const int* y, int features, const int* indices, int n,
                       float* out_x, int* out_y, cudaStream_t stream) {
  GatherRowsKernel<<<Blocks(static_cast<size_t>(n) * features), kThreads, 0, stream>>>(
      x, y, features, indices, n, out_x, out_y);
  return cudaGetLastError();
}

cudaError_t Fill(float* x, float value, size_t count, cudaStream_t stream) {
  FillKernel<<<Blocks(count), kThreads, 0, stream>>>(x, value, count);
  return cudaGetLastError();
}

cudaError_t AddBias(float* y, const float* bias, int rows, int features, cudaStream_t stream) {
  AddBiasKernel<<<Blocks(static_cast<size_t>(rows) * features), kThreads, 0, stream>>>(
      y, bias, rows, features);
  return cudaGetLastError();
}

cudaError_t Im2Col(const float* x, int batch, const ConvShape& shape, float* col,
                   cudaStream_t stream) {
  const size_t total = static_cast<size_t>(shape.channels) * shape.kernel * shape.kernel * batch *
                       shape.out_height * shape.out_width;
  Im2ColKernel<<<Blocks(total), kThreads, 0, stream>>>(x, batch, shape, col);
  return cudaGetLastError();
}

cudaError_t Col2Im(const float* dcol, int batch, const ConvShape& shape, float* dx,
                   cudaStream_t stream) {
  const size_t total = static_cast<size_t>(batch) * shape.channels * shape.height * shape.width;
  Col2ImKernel<<<Blocks(total), kThreads, 0, stream>>>(dcol, batch, shape, dx);
  return cudaGetLastError();
}

cudaError_t ChannelMajorToBatchMajor(const float* yt, const float* bias, int batch, int channels,
                                     int pixels, float* y, cudaStream_t stream) {
  const size_t total = static_cast<size_t>(batch) * channels * pixels;
  ChannelMajorToBatchMajorKernel<<<Blocks(total), kThreads, 0, stream>>>(yt, bias, batch, channels,
                                                                         pixels, y);
  return cudaGetLastError();
}

cudaError_t BatchMajorToChannelMajor(const float* y, int batch, int channels, int pixels, float* yt,
                                     cudaStream_t stream) {
  const size_t total = static_cast<size_t>(batch) * channels * pixels;
  BatchMajorToChannelMajorKernel<<<Blocks(total), kThreads, 0, stream>>>(y, batch, channels, pixels,
                                                                         yt);
  return cudaGetLastError();
}

cudaError_t MaxPoolForward(const float* x, int batch, int channels, int height, int width,
                           int window, float* y, int* argmax, cudaStream_t stream) {
  const size_t total = static_cast<size_t>(batch) * channels * (height / window) * (width / window);
  MaxPoolForwardKernel<<<Blocks(total), kThreads, 0, stream>>>(x, batch, channels, height, width,
                                                               window, y, argmax);
  return cudaGetLastError();
}

cudaError_t MaxPoolBackward(const float* dy, const int* argmax, int batch, int channels, int height,
                            int width, int window, float* dx, cudaStream_t stream) {
  const int in_per_sample = channels * height * width;
  const int out_per_sample = channels * (height / window) * (width / window);
  cudaError_t zeroed =
      cudaMemsetAsync(dx, 0, static_cast<size_t>(batch) * in_per_sample * sizeof(float), stream);
  if (zeroed != cudaSuccess) return zeroed;
  MaxPoolBackwardKernel<<<Blocks(static_cast<size_t>(batch) * out_per_sample), kThreads, 0,
                          stream>>>(dy, argmax, batch, out_per_sample, in_per_sample, dx);
  return cudaGetLastError();
}

cudaError_t ActivationForward(Activation f, const float* x, float* y, size_t count,
                              cudaStream_t stream) {
  ActivationForwardKernel<<<Blocks(count), kThreads, 0, stream>>>(f, x, y, count);
  return cudaGetLastError();
}

cudaError_t ActivationBackward(Activation f, const float* y, const float* dy, float* dx,
                               size_t count, cudaStream_t stream) {
  ActivationBackwardKernel<<<Blocks(count), kThreads, 0, stream>>>(f, y, dy, dx, count);
  return cudaGetLastError();
}

cudaError_t DropoutForward(const float* x, float* y, float* mask, size_t count, float p,
                           uint64_t key, cudaStream_t stream) {
  const float scale = 1.0f / (1.0f - p);
  DropoutForwardKernel<<<Blocks(count), kThreads, 0, stream>>>(x, y, mask, count, p, scale, key);
  return cudaGetLastError();
}

cudaError_t Multiply(const float* a, const float* b, float* out, size_t count,
                     cudaStream_t stream) {
  MultiplyKernel<<<Blocks(count), kThreads, 0, stream>>>(a, b, out, count);
  return cudaGetLastError();
}

cudaError_t CrossEntropy(const float* logits, const int* labels, int batch, int classes,
                         float* values, float* grad, cudaStream_t stream) {
  CrossEntropyKernel<<<Blocks(static_cast<size_t>(batch)), kThreads, 0, stream>>>(
      logits, labels, batch, classes, values, grad);
  return cudaGetLastError();
}

cudaError_t BinaryCrossEntropy(const float* logits, const int* labels, int batch, int features,
                               float* values, float* grad, cudaStream_t stream) {
  BinaryCrossEntropyKernel<<<Blocks(static_cast<size_t>(batch) * features), kThreads, 0, stream>>>(
      logits, labels, batch, features, values, grad);
  return cudaGetLastError();
}

cudaError_t MeanSquaredError(const float* logits, const int* labels, int batch, int features,
                             float* values, float* grad, cudaStream_t stream) {
  MeanSquaredErrorKernel<<<Blocks(static_cast<size_t>(batch) * features), kThreads, 0, stream>>>(
      logits, labels, batch, features, values, grad);
  return cudaGetLastError();
}

cudaError_t SumToDouble(const float* values, size_t count, double* out, bool accumulate,
                        cudaStream_t stream) {
  SumToDoubleKernel<<<1, kThreads, 0, stream>>>(values, count, out, accumulate);
  return cudaGetLastError();
}

cudaError_t CountCorrect(const float* output, const int* labels, int batch, int features,
                         float threshold, int* correct, cudaStream_t stream) {
  CountCorrectKernel<<<Blocks(static_cast<size_t>(batch)), kThreads, 0, stream>>>(
      output, labels, batch, features, threshold, correct);
  return cudaGetLastError();
}

cudaError_t SgdStep(const SgdConstants& k, float* params, const float* grads,
                    float* momentum_buffer, size_t count, cudaStream_t stream) {
  SgdKernel<<<Blocks(count), kThreads, 0, stream>>>(k, params, grads, momentum_buffer, count);
  return cudaGetLastError();
}

cudaError_t AdamStep(const AdamConstants& k, float* params, const float* grads, float* exp_avg,
                     float* exp_avg_sq, size_t count, cudaStream_t stream) {
  AdamKernel<<<Blocks(count), kThreads, 0, stream>>>(k, params, grads, exp_avg, exp_avg_sq, count);
  return cudaGetLastError();
}

cudaError_t AdadeltaStep(const AdadeltaConstants& k, float* params, const float* grads,
                         float* square_avg, float* acc_delta, size_t count, cudaStream_t stream) {
  AdadeltaKernel<<<Blocks(count), kThreads, 0, stream>>>(k, params, grads, square_avg, acc_delta,
                                                         count);
  return cudaGetLastError();
}

}  // namespace jobctl::trainer::gpu::kernels
