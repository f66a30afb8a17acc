#include "trainer/gpu/cudnn_conv.h"

#ifdef JOBCTL_HAVE_CUDNN

#include <cudnn.h>

#include <algorithm>
#include <map>
#include <string>
#include <utility>

#include "trainer/cuda/cuda_check.h"
#include "trainer/gpu/device_array.h"

namespace jobctl::trainer::gpu {
namespace {

struct Algorithms {
  cudnnConvolutionFwdAlgo_t forward{};
  cudnnConvolutionBwdFilterAlgo_t backward_filter{};
  cudnnConvolutionBwdDataAlgo_t backward_data{};
  size_t workspace_bytes = 0;
};

// The first heuristic result that ran, computes in plain FP32 (no
// tensor-op math) and fits the workspace limit, preferring deterministic
// algorithms.
template <typename Perf>
const Perf* Pick(const Perf* results, int count) {
  for (bool need_deterministic : {true, false}) {
    for (int i = 0; i < count; ++i) {
      const Perf& r = results[i];
      const bool fp32 = r.mathType == CUDNN_FMA_MATH || r.mathType == CUDNN_DEFAULT_MATH;
      if (r.status == CUDNN_STATUS_SUCCESS && fp32 && r.memory <= CudnnConv::kMaxWorkspaceBytes &&
          (!need_deterministic || r.determinism == CUDNN_DETERMINISTIC)) {
        return &r;
      }
    }
  }
  return nullptr;
}

}  // namespace

struct CudnnConv::Impl {
  ConvGeometry g;
  cudnnHandle_t handle = nullptr;
  cudnnTensorDescriptor_t x_desc = nullptr;
  cudnnTensorDescriptor_t y_desc = nullptr;
  cudnnTensorDescriptor_t bias_desc = nullptr;
  cudnnFilterDescriptor_t w_desc = nullptr;
  cudnnConvolutionDescriptor_t conv_desc = nullptr;
  int prepared_batch = 0;
  std::map<int, Algorithms> algorithms;  // by batch size
  Algorithms current;
  DeviceArray<unsigned char> workspace;

  ~Impl() {
    if (conv_desc != nullptr) (void)cudnnDestroyConvolutionDescriptor(conv_desc);
    if (w_desc != nullptr) (void)cudnnDestroyFilterDescriptor(w_desc);
    if (bias_desc != nullptr) (void)cudnnDestroyTensorDescriptor(bias_desc);
    if (y_desc != nullptr) (void)cudnnDestroyTensorDescriptor(y_desc);
    if (x_desc != nullptr) (void)cudnnDestroyTensorDescriptor(x_desc);
    if (handle != nullptr) (void)cudnnDestroy(handle);
  }

  Status Init() {
    JOBCTL_CUDA_RETURN_IF_ERROR(cudnnCreate(&handle));
    JOBCTL_CUDA_RETURN_IF_ERROR(cudnnSetStream(handle, nullptr));
    JOBCTL_CUDA_RETURN_IF_ERROR(cudnnCreateTensorDescriptor(&x_desc));
    JOBCTL_CUDA_RETURN_IF_ERROR(cudnnCreateTensorDescriptor(&y_desc));
    JOBCTL_CUDA_RETURN_IF_ERROR(cudnnCreateTensorDescriptor(&bias_desc));
    JOBCTL_CUDA_RETURN_IF_ERROR(cudnnCreateFilterDescriptor(&w_desc));
    JOBCTL_CUDA_RETURN_IF_ERROR(cudnnCreateConvolutionDescriptor(&conv_desc));
    JOBCTL_CUDA_RETURN_IF_ERROR(cudnnSetTensor4dDescriptor(
        bias_desc, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, 1, g.out_channels, 1, 1));
    JOBCTL_CUDA_RETURN_IF_ERROR(cudnnSetFilter4dDescriptor(w_desc, CUDNN_DATA_FLOAT,
                                                           CUDNN_TENSOR_NCHW, g.out_channels,
                                                           g.in_channels, g.kernel, g.kernel));
    JOBCTL_CUDA_RETURN_IF_ERROR(
        cudnnSetConvolution2dDescriptor(conv_desc, g.padding, g.padding, g.stride, g.stride, 1, 1,
                                        CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    JOBCTL_CUDA_RETURN_IF_ERROR(cudnnSetConvolutionMathType(conv_desc, CUDNN_FMA_MATH));
    return Status::Ok();
  }

  // Descriptors, algorithms and workspace for `batch` samples.
  Status Prepare(int batch) {
    if (batch == prepared_batch) return Status::Ok();
    JOBCTL_CUDA_RETURN_IF_ERROR(cudnnSetTensor4dDescriptor(x_desc, CUDNN_TENSOR_NCHW,
                                                           CUDNN_DATA_FLOAT, batch, g.in_channels,
                                                           g.in_height, g.in_width));
    JOBCTL_CUDA_RETURN_IF_ERROR(cudnnSetTensor4dDescriptor(y_desc, CUDNN_TENSOR_NCHW,
                                                           CUDNN_DATA_FLOAT, batch, g.out_channels,
                                                           g.out_height(), g.out_width()));
    auto found = algorithms.find(batch);
    if (found == algorithms.end()) {
      JOBCTL_ASSIGN_OR_RETURN(Algorithms chosen, Choose());
      found = algorithms.emplace(batch, chosen).first;
    }
    current = found->second;
    if (workspace.size() < current.workspace_bytes) {
      JOBCTL_RETURN_IF_ERROR(workspace.Allocate(current.workspace_bytes));
    }
    prepared_batch = batch;
    return Status::Ok();
  }

  Result<Algorithms> Choose() {
    Algorithms a;
    int returned = 0;
    cudnnConvolutionFwdAlgoPerf_t fwd[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    JOBCTL_CUDA_RETURN_IF_ERROR(
        cudnnGetConvolutionForwardAlgorithm_v7(handle, x_desc, w_desc, conv_desc, y_desc,
                                               CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &returned, fwd));
    const auto* f = Pick(fwd, returned);
    cudnnConvolutionBwdFilterAlgoPerf_t bwf[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
    JOBCTL_CUDA_RETURN_IF_ERROR(cudnnGetConvolutionBackwardFilterAlgorithm_v7(
        handle, x_desc, y_desc, conv_desc, w_desc, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT,
        &returned, bwf));
    const auto* bf = Pick(bwf, returned);
    cudnnConvolutionBwdDataAlgoPerf_t bwd[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
    JOBCTL_CUDA_RETURN_IF_ERROR(cudnnGetConvolutionBackwardDataAlgorithm_v7(
        handle, w_desc, y_desc, conv_desc, x_desc, CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &returned,
        bwd));
    const auto* bd = Pick(bwd, returned);
    if (f == nullptr || bf == nullptr || bd == nullptr) {
      return FailedPreconditionError(
          "cuDNN offers no FP32 convolution algorithm within the workspace limit for this layer");
    }
    a.forward = f->algo;
    a.backward_filter = bf->algo;
    a.backward_data = bd->algo;
    size_t bytes = 0;
    JOBCTL_CUDA_RETURN_IF_ERROR(cudnnGetConvolutionForwardWorkspaceSize(
        handle, x_desc, w_desc, conv_desc, y_desc, a.forward, &bytes));
    a.workspace_bytes = bytes;
    JOBCTL_CUDA_RETURN_IF_ERROR(cudnnGetConvolutionBackwardFilterWorkspaceSize(
        handle, x_desc, y_desc, conv_desc, w_desc, a.backward_filter, &bytes));
    a.workspace_bytes = std::max(a.workspace_bytes, bytes);
    JOBCTL_CUDA_RETURN_IF_ERROR(cudnnGetConvolutionBackwardDataWorkspaceSize(
        handle, w_desc, y_desc, conv_desc, x_desc, a.backward_data, &bytes));
    a.workspace_bytes = std::max(a.workspace_bytes, bytes);
    return a;
  }
};

CudnnConv::CudnnConv(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CudnnConv::~CudnnConv() = default;

bool CudnnConv::Available() { return true; }

Result<std::unique_ptr<CudnnConv>> CudnnConv::Create(const ConvGeometry& geometry) {
  auto impl = std::make_unique<Impl>();
  impl->g = geometry;
  JOBCTL_RETURN_IF_ERROR(impl->Init());
  return std::unique_ptr<CudnnConv>(new CudnnConv(std::move(impl)));
}

Status CudnnConv::Forward(const float* x, const float* w, const float* b, int batch, float* y) {
  Impl& m = *impl_;
  JOBCTL_RETURN_IF_ERROR(m.Prepare(batch));
  const float one = 1.0f;
  const float zero = 0.0f;
  JOBCTL_CUDA_RETURN_IF_ERROR(cudnnConvolutionForward(
      m.handle, &one, m.x_desc, x, m.w_desc, w, m.conv_desc, m.current.forward, m.workspace.get(),
      m.current.workspace_bytes, &zero, m.y_desc, y));
  JOBCTL_CUDA_RETURN_IF_ERROR(cudnnAddTensor(m.handle, &one, m.bias_desc, b, &one, m.y_desc, y));
  return Status::Ok();
}

Status CudnnConv::Backward(const float* x, const float* w, const float* dy, int batch, float* dw,
                           float* db, float* dx) {
  Impl& m = *impl_;
  JOBCTL_RETURN_IF_ERROR(m.Prepare(batch));
  const float one = 1.0f;
  const float zero = 0.0f;
  JOBCTL_CUDA_RETURN_IF_ERROR(
      cudnnConvolutionBackwardBias(m.handle, &one, m.y_desc, dy, &zero, m.bias_desc, db));
  JOBCTL_CUDA_RETURN_IF_ERROR(cudnnConvolutionBackwardFilter(
      m.handle, &one, m.x_desc, x, m.y_desc, dy, m.conv_desc, m.current.backward_filter,
      m.workspace.get(), m.current.workspace_bytes, &zero, m.w_desc, dw));
  if (dx != nullptr) {
    JOBCTL_CUDA_RETURN_IF_ERROR(cudnnConvolutionBackwardData(
        m.handle, &one, m.w_desc, w, m.y_desc, dy, m.conv_desc, m.current.backward_data,
        m.workspace.get(), m.current.workspace_bytes, &zero, m.x_desc, dx));
  }
  return Status::Ok();
}

}  // namespace jobctl::trainer::gpu

#else  // !JOBCTL_HAVE_CUDNN

#include <utility>

namespace jobctl::trainer::gpu {

struct CudnnConv::Impl {};

CudnnConv::CudnnConv(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CudnnConv::~CudnnConv() = default;

bool CudnnConv::Available() { return false; }

Result<std::unique_ptr<CudnnConv>> CudnnConv::Create(const ConvGeometry&) {
  return FailedPreconditionError("built without cuDNN");
}

Status CudnnConv::Forward(const float*, const float*, const float*, int, float*) {
  return FailedPreconditionError("built without cuDNN");
}

Status CudnnConv::Backward(const float*, const float*, const float*, int, float*, float*, float*) {
  return FailedPreconditionError("built without cuDNN");
}

}  // namespace jobctl::trainer::gpu

#endif  // JOBCTL_HAVE_CUDNN
