#include "trainer/gpu/gpu_model.h"

#include <algorithm>
#include <string>

#include "trainer/cuda/cuda_check.h"
#include "trainer/gpu/kernels.h"

namespace jobctl::trainer::gpu {
namespace {

constexpr cudaStream_t kStream = nullptr;  // the legacy default stream

// Row-major C [m, n] = alpha op(A) [m, k] op(B) [k, n] + beta C, with
// leading dimensions as CBLAS row-major takes them (Gemm in
// trainer/tensor/blas.h). cuBLAS is column-major and a row-major matrix is
// its transpose there, so this computes C^T = op(B)^T op(A)^T: B first,
// then A, with m and n swapped.
Status RowMajorGemm(cublasHandle_t handle, bool trans_a, bool trans_b, int m, int n, int k,
                    float alpha, const float* a, int lda, const float* b, int ldb, float beta,
                    float* c, int ldc) {
  JOBCTL_CUDA_RETURN_IF_ERROR(cublasSgemm(handle, trans_b ? CUBLAS_OP_T : CUBLAS_OP_N,
                                          trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, n, m, k, &alpha, b,
                                          ldb, a, lda, &beta, c, ldc));
  return Status::Ok();
}

// bias_grad[c] = sum over r of m[r, c] for row-major m [rows, cols]. In
// cuBLAS's column-major view m is [cols, rows] with leading dimension cols:
// the product with a vector of ones.
Status SumRows(cublasHandle_t handle, const float* m, int rows, int cols, const float* ones,
               float* out) {
  const float one = 1.0f;
  const float zero = 0.0f;
  JOBCTL_CUDA_RETURN_IF_ERROR(
      cublasSgemv(handle, CUBLAS_OP_N, cols, rows, &one, m, cols, ones, 1, &zero, out, 1));
  return Status::Ok();
}

// out[r] = sum over c of m[r, c] for row-major m [rows, cols] (column-major
// [cols, rows], transposed).
Status SumColumns(cublasHandle_t handle, const float* m, int rows, int cols, const float* ones,
                  float* out) {
  const float one = 1.0f;
  const float zero = 0.0f;
  JOBCTL_CUDA_RETURN_IF_ERROR(
      cublasSgemv(handle, CUBLAS_OP_T, cols, rows, &one, m, cols, ones, 1, &zero, out, 1));
  return Status::Ok();
}

kernels::ConvShape ShapeOf(const ConvGeometry& g) {
  kernels::ConvShape s;
  s.channels = g.in_channels;
  s.height = g.in_height;
  s.width = g.in_width;
  s.kernel = g.kernel;
  s.stride = g.stride;
  s.padding = g.padding;
  s.out_height = g.out_height();
  s.out_width = g.out_width();
  return s;
}

int PatchSize(const ConvGeometry& g) { return g.in_channels * g.kernel * g.kernel; }
int Pixels(const ConvGeometry& g) { return g.out_height() * g.out_width(); }

kernels::Activation ActivationOf(OpKind kind) {
  switch (kind) {
    case OpKind::kTanh:
      return kernels::Activation::kTanh;
    case OpKind::kSigmoid:
      return kernels::Activation::kSigmoid;
    default:
      return kernels::Activation::kRelu;
  }
}

Status CopyDevice(float* dst, const float* src, size_t count) {
  JOBCTL_CUDA_RETURN_IF_ERROR(
      cudaMemcpyAsync(dst, src, count * sizeof(float), cudaMemcpyDeviceToDevice, kStream));
  return Status::Ok();
}

}  // namespace

Result<LossKind> ParseLossKind(std::string_view name) {
  if (name == "cross_entropy") return LossKind::kCrossEntropy;
  if (name == "binary_cross_entropy") return LossKind::kBinaryCrossEntropy;
  if (name == "mse") return LossKind::kMeanSquaredError;
  return InvalidArgumentError("unknown loss \"" + std::string(name) +
                              "\" (expected cross_entropy, binary_cross_entropy or mse)");
}

Result<std::unique_ptr<GpuModel>> GpuModel::Create(GpuPlan plan, LossKind loss, int max_batch,
                                                   ConvEngine conv_engine) {
  if (max_batch <= 0 || plan.ops.empty()) {
    return InvalidArgumentError("GPU model: empty plan or batch size " + std::to_string(max_batch));
  }
  if (conv_engine == ConvEngine::kAuto) {
    conv_engine = CudnnConv::Available() ? ConvEngine::kCudnn : ConvEngine::kIm2col;
  }
  std::unique_ptr<GpuModel> model(new GpuModel(std::move(plan), loss, max_batch, conv_engine));
  JOBCTL_RETURN_IF_ERROR(model->Init());
  return model;
}

GpuModel::~GpuModel() {
  if (cublas_ != nullptr) (void)cublasDestroy(cublas_);
}

Status GpuModel::Init() {
  JOBCTL_CUDA_RETURN_IF_ERROR(cublasCreate(&cublas_));
  JOBCTL_CUDA_RETURN_IF_ERROR(cublasSetStream(cublas_, kStream));
  // FP32 products throughout (no TF32), as the CPU path computes.
  JOBCTL_CUDA_RETURN_IF_ERROR(cublasSetMathMode(cublas_, CUBLAS_DEFAULT_MATH));
  JOBCTL_RETURN_IF_ERROR(values_.Allocate(plan_.parameter_count));
  JOBCTL_RETURN_IF_ERROR(grads_.Allocate(plan_.parameter_count));
  const size_t n = static_cast<size_t>(max_batch_);
  size_t ones = n;
  size_t conv_t = 0;
  size_t dcol = 0;
  buffers_.resize(plan_.ops.size());
  for (size_t i = 0; i < plan_.ops.size(); ++i) {
    const GpuOp& op = plan_.ops[i];
    OpBuffers& b = buffers_[i];
    JOBCTL_RETURN_IF_ERROR(b.output.Allocate(n * op.out_features));
    if (op.kind == OpKind::kMaxPool2d)
      JOBCTL_RETURN_IF_ERROR(b.argmax.Allocate(n * op.out_features));
    if (op.kind == OpKind::kDropout) JOBCTL_RETURN_IF_ERROR(b.mask.Allocate(n * op.out_features));
    if (op.kind == OpKind::kConv2d && conv_engine_ == ConvEngine::kCudnn) {
      JOBCTL_ASSIGN_OR_RETURN(b.cudnn, CudnnConv::Create(op.conv));
    } else if (op.kind == OpKind::kConv2d) {
      const size_t np = n * Pixels(op.conv);
      JOBCTL_RETURN_IF_ERROR(b.col.Allocate(np * PatchSize(op.conv)));
      ones = std::max(ones, np);
      conv_t = std::max(conv_t, np * op.conv.out_channels);
      if (i > 0) dcol = std::max(dcol, np * PatchSize(op.conv));
    }
  }
  const size_t widest = n * static_cast<size_t>(plan_.max_features);
  const size_t outputs = n * static_cast<size_t>(plan_.output_features);
  JOBCTL_RETURN_IF_ERROR(grad_a_.Allocate(widest));
  JOBCTL_RETURN_IF_ERROR(grad_b_.Allocate(widest));
  JOBCTL_RETURN_IF_ERROR(loss_grad_.Allocate(outputs));
  JOBCTL_RETURN_IF_ERROR(loss_terms_.Allocate(outputs));
  JOBCTL_RETURN_IF_ERROR(ones_.Allocate(ones));
  JOBCTL_CUDA_RETURN_IF_ERROR(kernels::Fill(ones_.get(), 1.0f, ones, kStream));
  JOBCTL_RETURN_IF_ERROR(conv_t_.Allocate(conv_t));
  JOBCTL_RETURN_IF_ERROR(conv_dcol_.Allocate(dcol));
  JOBCTL_CUDA_RETURN_IF_ERROR(cudaDeviceSynchronize());
  return Status::Ok();
}

Status GpuModel::UploadParameters(const float* host_values) {
  return values_.CopyFromHost(host_values, plan_.parameter_count);
}

Status GpuModel::DownloadParameters(float* host_values) const {
  return values_.CopyToHost(host_values, plan_.parameter_count);
}

Status GpuModel::DownloadGradients(float* host_grads) const {
  return grads_.CopyToHost(host_grads, plan_.parameter_count);
}

Result<std::vector<float>> GpuModel::DownloadOutput() const {
  std::vector<float> out(static_cast<size_t>(batch_) * plan_.output_features);
  JOBCTL_RETURN_IF_ERROR(buffers_.back().output.CopyToHost(out.data(), out.size()));
  return out;
}

Result<const float*> GpuModel::Forward(const float* input, int batch, bool training,
                                       Pcg32* dropout_rng) {
  if (batch <= 0 || batch > max_batch_) {
    return InvalidArgumentError("GPU model: batch of " + std::to_string(batch) +
                                " samples, allocated for up to " + std::to_string(max_batch_));
  }
  batch_ = batch;
  input_ = input;
  const float* current = input;
  for (size_t i = 0; i < plan_.ops.size(); ++i) {
    JOBCTL_RETURN_IF_ERROR(ForwardOp(i, current, training, dropout_rng));
    current = OutputOf(i);
  }
  return current;
}

Status GpuModel::ForwardOp(size_t index, const float* in, bool training, Pcg32* dropout_rng) {
  const GpuOp& op = plan_.ops[index];
  OpBuffers& b = buffers_[index];
  float* out = b.output.get();
  const int n = batch_;
  const size_t count = static_cast<size_t>(n) * op.out_features;
  switch (op.kind) {
    case OpKind::kLinear: {
      // Y [n, out] = X [n, in] W^T, W^T stored as [in, out]; then + b.
      const float* wt = values_.get() + op.weight_offset;
      JOBCTL_RETURN_IF_ERROR(RowMajorGemm(cublas_, false, false, n, op.out_features, op.in_features,
                                          1.0f, in, op.in_features, wt, op.out_features, 0.0f, out,
                                          op.out_features));
      JOBCTL_CUDA_RETURN_IF_ERROR(
          kernels::AddBias(out, values_.get() + op.bias_offset, n, op.out_features, kStream));
      return Status::Ok();
    }
    case OpKind::kConv2d: {
      if (b.cudnn != nullptr) {
        return b.cudnn->Forward(in, values_.get() + op.weight_offset,
                                values_.get() + op.bias_offset, n, out);
      }
      const ConvGeometry& g = op.conv;
      const int rows = PatchSize(g);
      const int np = n * Pixels(g);
      JOBCTL_CUDA_RETURN_IF_ERROR(kernels::Im2Col(in, n, ShapeOf(g), b.col.get(), kStream));
      // Yt [oc, n*P] = W [oc, rows] col [rows, n*P]; then to [n, oc, P] + b.
      JOBCTL_RETURN_IF_ERROR(RowMajorGemm(cublas_, false, false, g.out_channels, np, rows, 1.0f,
                                          values_.get() + op.weight_offset, rows, b.col.get(), np,
                                          0.0f, conv_t_.get(), np));
      JOBCTL_CUDA_RETURN_IF_ERROR(
          kernels::ChannelMajorToBatchMajor(conv_t_.get(), values_.get() + op.bias_offset, n,
                                            g.out_channels, Pixels(g), out, kStream));
      return Status::Ok();
    }
    case OpKind::kMaxPool2d:
      JOBCTL_CUDA_RETURN_IF_ERROR(kernels::MaxPoolForward(in, n, op.channels, op.height, op.width,
                                                          op.window, out, b.argmax.get(), kStream));
      return Status::Ok();
    case OpKind::kRelu:
    case OpKind::kTanh:
    case OpKind::kSigmoid:
      JOBCTL_CUDA_RETURN_IF_ERROR(
          kernels::ActivationForward(ActivationOf(op.kind), in, out, count, kStream));
      return Status::Ok();
    case OpKind::kDropout: {
      b.dropout_active = training && op.dropout > 0.0f;
      if (!b.dropout_active) return CopyDevice(out, in, count);
      if (dropout_rng == nullptr) return InternalError("GPU model: dropout without an RNG");
      const uint64_t high = dropout_rng->NextU32();
      const uint64_t key = (high << 32) | dropout_rng->NextU32();
      JOBCTL_CUDA_RETURN_IF_ERROR(
          kernels::DropoutForward(in, out, b.mask.get(), count, op.dropout, key, kStream));
      return Status::Ok();
    }
    case OpKind::kFlatten:
      return CopyDevice(out, in, count);
  }
  return InternalError("GPU model: unknown op");
}

Status GpuModel::Loss(const int* labels, double* device_sum, bool accumulate) {
  const int n = batch_;
  const int features = plan_.output_features;
  const float* logits = OutputOf(plan_.ops.size() - 1);
  size_t terms = static_cast<size_t>(n) * features;
  switch (loss_) {
    case LossKind::kCrossEntropy:
      JOBCTL_CUDA_RETURN_IF_ERROR(kernels::CrossEntropy(
          logits, labels, n, features, loss_terms_.get(), loss_grad_.get(), kStream));
      terms = static_cast<size_t>(n);
      break;
    case LossKind::kBinaryCrossEntropy:
      JOBCTL_CUDA_RETURN_IF_ERROR(kernels::BinaryCrossEntropy(
          logits, labels, n, features, loss_terms_.get(), loss_grad_.get(), kStream));
      break;
    case LossKind::kMeanSquaredError:
      JOBCTL_CUDA_RETURN_IF_ERROR(kernels::MeanSquaredError(
          logits, labels, n, features, loss_terms_.get(), loss_grad_.get(), kStream));
      break;
  }
  JOBCTL_CUDA_RETURN_IF_ERROR(
      kernels::SumToDouble(loss_terms_.get(), terms, device_sum, accumulate, kStream));
  return Status::Ok();
}

double GpuModel::LossDivisor(int batch) const {
  if (loss_ == LossKind::kCrossEntropy) return static_cast<double>(batch);
  return static_cast<double>(batch) * plan_.output_features;
}

Status GpuModel::CountCorrect(const int* labels, float threshold, int* device_count) {
  JOBCTL_CUDA_RETURN_IF_ERROR(kernels::CountCorrect(OutputOf(plan_.ops.size() - 1), labels, batch_,
                                                    plan_.output_features, threshold, device_count,
                                                    kStream));
  return Status::Ok();
}

Status GpuModel::Backward() {
  const float* grad = loss_grad_.get();
  for (size_t i = plan_.ops.size(); i-- > 0;) {
    const float* in = i == 0 ? input_ : OutputOf(i - 1);
    float* grad_in = nullptr;
    if (i > 0) grad_in = grad == grad_a_.get() ? grad_b_.get() : grad_a_.get();
    JOBCTL_RETURN_IF_ERROR(BackwardOp(i, in, grad, grad_in));
    grad = grad_in;
  }
  return Status::Ok();
}

Status GpuModel::BackwardOp(size_t index, const float* in, const float* grad_out, float* grad_in) {
  const GpuOp& op = plan_.ops[index];
  OpBuffers& b = buffers_[index];
  const int n = batch_;
  const size_t count = static_cast<size_t>(n) * op.in_features;
  switch (op.kind) {
    case OpKind::kLinear: {
      const float* wt = values_.get() + op.weight_offset;
      // dW^T [in, out] = X^T [in, n] dY [n, out]; db = column sums of dY.
      JOBCTL_RETURN_IF_ERROR(RowMajorGemm(cublas_, true, false, op.in_features, op.out_features, n,
                                          1.0f, in, op.in_features, grad_out, op.out_features, 0.0f,
                                          grads_.get() + op.weight_offset, op.out_features));
      JOBCTL_RETURN_IF_ERROR(SumRows(cublas_, grad_out, n, op.out_features, ones_.get(),
                                     grads_.get() + op.bias_offset));
      if (grad_in != nullptr) {
        // dX [n, in] = dY [n, out] W [out, in], W = (W^T)^T.
        JOBCTL_RETURN_IF_ERROR(RowMajorGemm(cublas_, false, true, n, op.in_features,
                                            op.out_features, 1.0f, grad_out, op.out_features, wt,
                                            op.out_features, 0.0f, grad_in, op.in_features));
      }
      return Status::Ok();
    }
    case OpKind::kConv2d: {
      if (b.cudnn != nullptr) {
        return b.cudnn->Backward(in, values_.get() + op.weight_offset, grad_out, n,
                                 grads_.get() + op.weight_offset, grads_.get() + op.bias_offset,
                                 grad_in);
      }
      const ConvGeometry& g = op.conv;
      const int rows = PatchSize(g);
      const int pixels = Pixels(g);
      const int np = n * pixels;
      const float* w = values_.get() + op.weight_offset;
      // dYt [oc, n*P] from dY [n, oc, P].
      JOBCTL_CUDA_RETURN_IF_ERROR(kernels::BatchMajorToChannelMajor(
          grad_out, n, g.out_channels, pixels, conv_t_.get(), kStream));
      // dW [oc, rows] = dYt [oc, n*P] col^T [n*P, rows]; db = row sums of dYt.
      JOBCTL_RETURN_IF_ERROR(RowMajorGemm(cublas_, false, true, g.out_channels, rows, np, 1.0f,
                                          conv_t_.get(), np, b.col.get(), np, 0.0f,
                                          grads_.get() + op.weight_offset, rows));
      JOBCTL_RETURN_IF_ERROR(SumColumns(cublas_, conv_t_.get(), g.out_channels, np, ones_.get(),
                                        grads_.get() + op.bias_offset));
      if (grad_in != nullptr) {
        // dcol [rows, n*P] = W^T [rows, oc] dYt [oc, n*P]; then back to images.
        JOBCTL_RETURN_IF_ERROR(RowMajorGemm(cublas_, true, false, rows, np, g.out_channels, 1.0f, w,
                                            rows, conv_t_.get(), np, 0.0f, conv_dcol_.get(), np));
        JOBCTL_CUDA_RETURN_IF_ERROR(
            kernels::Col2Im(conv_dcol_.get(), n, ShapeOf(g), grad_in, kStream));
      }
      return Status::Ok();
    }
    case OpKind::kMaxPool2d:
      if (grad_in == nullptr) return Status::Ok();
      JOBCTL_CUDA_RETURN_IF_ERROR(kernels::MaxPoolBackward(grad_out, b.argmax.get(), n, op.channels,
                                                           op.height, op.width, op.window, grad_in,
                                                           kStream));
      return Status::Ok();
    case OpKind::kRelu:
    case OpKind::kTanh:
    case OpKind::kSigmoid:
      if (grad_in == nullptr) return Status::Ok();
      JOBCTL_CUDA_RETURN_IF_ERROR(kernels::ActivationBackward(ActivationOf(op.kind), b.output.get(),
                                                              grad_out, grad_in, count, kStream));
      return Status::Ok();
    case OpKind::kDropout:
      if (grad_in == nullptr) return Status::Ok();
      if (!b.dropout_active) return CopyDevice(grad_in, grad_out, count);
      JOBCTL_CUDA_RETURN_IF_ERROR(
          kernels::Multiply(grad_out, b.mask.get(), grad_in, count, kStream));
      return Status::Ok();
    case OpKind::kFlatten:
      if (grad_in == nullptr) return Status::Ok();
      return CopyDevice(grad_in, grad_out, count);
  }
  return InternalError("GPU model: unknown op");
}

}  // namespace jobctl::trainer::gpu
