#include "trainer/cuda/cuda_check.h"

#include <cstdio>
#include <cstdlib>

namespace jobctl::cuda {

#ifdef JOBCTL_HAVE_CUDA
CudaResultInfo DescribeCudaResult(cudaError_t result) {
  CudaResultInfo info;
  info.ok = result == cudaSuccess;
  info.library = "CUDA";
  info.code = static_cast<long>(result);
  info.text = std::string(cudaGetErrorName(result)) + ": " + cudaGetErrorString(result);
  switch (result) {
    case cudaErrorMemoryAllocation:
      info.status_code = StatusCode::kResourceExhausted;
      break;
    case cudaErrorNoDevice:
    case cudaErrorInsufficientDriver:
    case cudaErrorInvalidDevice:
      info.status_code = StatusCode::kFailedPrecondition;
      break;
    default:
      info.status_code = StatusCode::kInternal;
  }
  return info;
}

CudaResultInfo DescribeCudaResult(cublasStatus_t result) {
  CudaResultInfo info;
  info.ok = result == CUBLAS_STATUS_SUCCESS;
  info.library = "cuBLAS";
  info.code = static_cast<long>(result);
  info.text = std::string(cublasGetStatusName(result)) + ": " + cublasGetStatusString(result);
  info.status_code = result == CUBLAS_STATUS_ALLOC_FAILED ? StatusCode::kResourceExhausted
                                                          : StatusCode::kInternal;
  return info;
}
#endif

#ifdef JOBCTL_HAVE_CUDNN
CudaResultInfo DescribeCudaResult(cudnnStatus_t result) {
  CudaResultInfo info;
  info.ok = result == CUDNN_STATUS_SUCCESS;
  info.library = "cuDNN";
  info.code = static_cast<long>(result);
  info.text = cudnnGetErrorString(result);
  info.status_code = result == CUDNN_STATUS_ALLOC_FAILED ? StatusCode::kResourceExhausted
                                                         : StatusCode::kInternal;
  return info;
}
#endif

#ifdef JOBCTL_HAVE_NCCL
CudaResultInfo DescribeCudaResult(ncclResult_t result) {
  CudaResultInfo info;
  // ncclInProgress is not a failure: a non-blocking communicator is busy.
  info.ok = result == ncclSuccess || result == ncclInProgress;
  info.library = "NCCL";
  info.code = static_cast<long>(result);
  info.text = ncclGetErrorString(result);
  switch (result) {
    case ncclRemoteError:
    case ncclSystemError:
      info.status_code = StatusCode::kUnavailable;
      break;
    case ncclInvalidArgument:
    case ncclInvalidUsage:
      info.status_code = StatusCode::kInvalidArgument;
      break;
    default:
      info.status_code = StatusCode::kInternal;
  }
  return info;
}
#endif

Status CudaCallError(const CudaResultInfo& info, std::string_view expression, const char* file,
                     int line) {
  return Status(info.status_code, std::string(expression) + " failed: " +
                                      std::string(info.library) + " error " +
                                      std::to_string(info.code) + " (" + info.text + ") at " +
                                      file + ":" + std::to_string(line));
}

void CudaCallAbort(const CudaResultInfo& info, std::string_view expression, const char* file,
                   int line) {
  Status status = CudaCallError(info, expression, file, line);
  std::fprintf(stderr, "fatal: %s\n", status.message().c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace jobctl::cuda
