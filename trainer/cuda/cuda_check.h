// One macro family for every CUDA runtime, cuBLAS, cuDNN and NCCL call, as
// NCCL's checks.h does: the failing call's expression, the library's error
// name/string and file:line end up in one message.
//
//   JOBCTL_CUDA_RETURN_IF_ERROR(cudaMalloc(&p, n));   // returns a Status
//   JOBCTL_CUDA_CHECK(cudaFree(p));                    // aborts: broken invariant
//
// Message format (tested):
//   "<expression> failed: <library> error <code> (<text>) at <file>:<line>"
// e.g. "cudaMalloc(&p, n) failed: CUDA error 2 (cudaErrorMemoryAllocation:
// out of memory) at trainer/tensor/device_buffer.cc:41".
//
// The result type picks the library by overload of DescribeCudaResult();
// a new library (or a test's fake error enum) adds an overload found by
// argument-dependent lookup. The status code is kResourceExhausted for
// out-of-memory results, kUnavailable for NCCL remote/system errors,
// kFailedPrecondition for "no device/driver", kInternal otherwise.
//
// Thread-safety: the macros and functions are stateless.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

#ifdef JOBCTL_HAVE_CUDA
#include <cublas_api.h>
#include <cuda_runtime_api.h>
#endif
#ifdef JOBCTL_HAVE_CUDNN
#include <cudnn.h>
#endif
#ifdef JOBCTL_HAVE_NCCL
#include <nccl.h>
#endif

namespace jobctl::cuda {

// What a library result means, independent of the library.
struct CudaResultInfo {
  bool ok = true;
  std::string_view library;  // "CUDA", "cuBLAS", "cuDNN", "NCCL"
  long code = 0;
  std::string text;          // name and description of the error
  StatusCode status_code = StatusCode::kInternal;
};

#ifdef JOBCTL_HAVE_CUDA
CudaResultInfo DescribeCudaResult(cudaError_t result);
CudaResultInfo DescribeCudaResult(cublasStatus_t result);
#endif
#ifdef JOBCTL_HAVE_CUDNN
CudaResultInfo DescribeCudaResult(cudnnStatus_t result);
#endif
#ifdef JOBCTL_HAVE_NCCL
CudaResultInfo DescribeCudaResult(ncclResult_t result);
#endif

// "<expression> failed: <library> error <code> (<text>) at <file>:<line>".
Status CudaCallError(const CudaResultInfo& info, std::string_view expression, const char* file,
                     int line);

// Prints the message to stderr and aborts.
[[noreturn]] void CudaCallAbort(const CudaResultInfo& info, std::string_view expression,
                                const char* file, int line);

namespace internal {

template <typename R>
Status CheckCudaResult(R result, std::string_view expression, const char* file, int line) {
  CudaResultInfo info = DescribeCudaResult(result);
  if (info.ok) return Status::Ok();
  return CudaCallError(info, expression, file, line);
}

template <typename R>
void CheckCudaResultOrAbort(R result, std::string_view expression, const char* file, int line) {
  CudaResultInfo info = DescribeCudaResult(result);
  if (!info.ok) CudaCallAbort(info, expression, file, line);
}

}  // namespace internal
}  // namespace jobctl::cuda

// The Status of a CUDA/cuBLAS/cuDNN/NCCL call (OK on success).
#define JOBCTL_CUDA_STATUS(expr) \
  ::jobctl::cuda::internal::CheckCudaResult((expr), #expr, __FILE__, __LINE__)

// Returns the Status from the calling function when the call fails.
#define JOBCTL_CUDA_RETURN_IF_ERROR(expr) JOBCTL_RETURN_IF_ERROR(JOBCTL_CUDA_STATUS(expr))

// Aborts with the same message when the call fails: for broken invariants
// (a free of our own pointer, a destroy of our own stream).
#define JOBCTL_CUDA_CHECK(expr) \
  ::jobctl::cuda::internal::CheckCudaResultOrAbort((expr), #expr, __FILE__, __LINE__)
