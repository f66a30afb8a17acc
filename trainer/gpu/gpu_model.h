// GpuModel: a GpuPlan's forward and backward passes and its loss on the
// GPU, with parameters, gradients and activations in device memory.
//
// Parameters and gradients are one flat device buffer each, laid out as the
// CPU ParameterBuffer (same offsets, Linear weights as [in, out]), so the
// host copy is one memcpy. Linear layers are cuBLAS sgemm calls (row-major
// operands, see RowMajorGemm in gpu_model.cc) plus a bias kernel; bias
// gradients are sgemv with a vector of ones. Convolutions are im2col over
// the whole batch and one sgemm each for the output, the weight gradient
// and the input gradient, or cuDNN's routines (CudnnConv, the default when
// the build has cuDNN). The rest are the kernels of kernels.h. Work goes
// to the legacy default stream, in order; only the host copies wait.
//
// Dropout masks come from a counter-based hash keyed by 64 bits drawn from
// the caller's Pcg32 per training forward pass (the trainer's checkpointed
// dropout RNG), so a seed gives the same masks run after run; they are not
// the CPU path's masks.
//
// Thread-safety: not thread-safe; one thread drives a model, on the device
// that was current when it was created.
#pragma once

#include <cublas_v2.h>

#include <memory>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "trainer/gpu/cudnn_conv.h"
#include "trainer/gpu/device_array.h"
#include "trainer/gpu/gpu_plan.h"
#include "trainer/tensor/rng.h"

namespace jobctl::trainer::gpu {

enum class LossKind { kCrossEntropy, kBinaryCrossEntropy, kMeanSquaredError };

// How convolutions run: cuDNN (CudnnConv), or im2col over the batch and
// cuBLAS; kAuto is cuDNN when the build has it.
enum class ConvEngine { kAuto, kCudnn, kIm2col };

// "cross_entropy", "binary_cross_entropy", "mse".
Result<LossKind> ParseLossKind(std::string_view name);

class GpuModel {
 public:
  // Allocates everything for batches of up to max_batch samples.
  static Result<std::unique_ptr<GpuModel>> Create(GpuPlan plan, LossKind loss, int max_batch,
                                                  ConvEngine conv_engine = ConvEngine::kAuto);
  ~GpuModel();
  GpuModel(const GpuModel&) = delete;
  GpuModel& operator=(const GpuModel&) = delete;

  const GpuPlan& plan() const { return plan_; }
  int max_batch() const { return max_batch_; }
  size_t parameter_count() const { return plan_.parameter_count; }
  float* values() { return values_.get(); }
  float* grads() { return grads_.get(); }

  // Whole buffers, ParameterBuffer layout (parameter_count() floats).
  Status UploadParameters(const float* host_values);
  Status DownloadParameters(float* host_values) const;
  Status DownloadGradients(float* host_grads) const;

  // Runs `batch` samples at `input` (device, [batch, input_features]) and
  // returns the device output [batch, output_features]; `input` must stay
  // unchanged until Backward. dropout_rng: used in training when the model
  // has Dropout layers.
  Result<const float*> Forward(const float* input, int batch, bool training, Pcg32* dropout_rng);

  // After Forward: the loss against `labels` (device, one per sample).
  // Writes dLoss/dOutput for Backward and stores the sum of the loss's
  // summands into *device_sum (adds to it when accumulate); the mean loss
  // is that sum / LossDivisor(batch).
  Status Loss(const int* labels, double* device_sum, bool accumulate);
  double LossDivisor(int batch) const;

  // Backpropagates the gradient written by Loss; overwrites grads().
  Status Backward();

  // After Forward: *device_count += samples predicted right (CountCorrect).
  Status CountCorrect(const int* labels, float threshold, int* device_count);

  // Host copy of the last Forward's output (tests).
  Result<std::vector<float>> DownloadOutput() const;

 private:
  struct OpBuffers {
    DeviceArray<float> output;         // [max_batch, out_features]
    DeviceArray<int> argmax;           // MaxPool2d
    DeviceArray<float> mask;           // Dropout
    DeviceArray<float> col;            // Conv2d with im2col: im2col of the last input
    std::unique_ptr<CudnnConv> cudnn;  // Conv2d with cuDNN
    bool dropout_active = false;
  };

  GpuModel(GpuPlan plan, LossKind loss, int max_batch, ConvEngine conv_engine)
      : plan_(std::move(plan)), loss_(loss), max_batch_(max_batch), conv_engine_(conv_engine) {}
  Status Init();
  Status ForwardOp(size_t index, const float* in, bool training, Pcg32* dropout_rng);
  Status BackwardOp(size_t index, const float* in, const float* grad_out, float* grad_in);
  const float* OutputOf(size_t index) const { return buffers_[index].output.get(); }

  GpuPlan plan_;
  LossKind loss_;
  int max_batch_;
  ConvEngine conv_engine_;
  int batch_ = 0;
  const float* input_ = nullptr;
  cublasHandle_t cublas_ = nullptr;
  DeviceArray<float> values_;
  DeviceArray<float> grads_;
  std::vector<OpBuffers> buffers_;
  DeviceArray<float> grad_a_;  // [max_batch, max_features], alternating with grad_b_
  DeviceArray<float> grad_b_;
  DeviceArray<float> loss_grad_;   // dLoss/dOutput
  DeviceArray<float> loss_terms_;  // the loss's summands
  DeviceArray<float> ones_;        // for bias gradients
  DeviceArray<float> conv_t_;      // Conv2d: output / output gradient, channel-major
  DeviceArray<float> conv_dcol_;   // Conv2d: input gradient in im2col layout
};

}  // namespace jobctl::trainer::gpu
