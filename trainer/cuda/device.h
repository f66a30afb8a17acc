// GPU detection. Safe on a machine with no GPU and no driver: the CUDA
// runtime is linked, its calls fail, and these functions report "none"
// instead of crashing. Built without the CUDA toolkit, there are no GPUs.
//
// Thread-safety: thread-safe (the CUDA runtime is).
#pragma once

#include <cstddef>
#include <string>

#include "common/status.h"

namespace jobctl::cuda {

// True when this binary was built with the CUDA toolkit.
bool BuiltWithCuda();

// Number of usable CUDA devices; 0 when there is no driver or no GPU, or
// when built without CUDA.
int CudaDeviceCount();

// Why CudaDeviceCount() is 0, for logs and test skips ("built without CUDA",
// "cudaGetDeviceCount(&count) failed: CUDA error 100 (cudaErrorNoDevice: no
// CUDA-capable device is detected) at ..."); empty when there are GPUs.
std::string NoCudaDeviceReason();

struct CudaDeviceInfo {
  int index = 0;
  std::string name;
  size_t total_memory_bytes = 0;
  size_t free_memory_bytes = 0;
  int compute_capability_major = 0;
  int compute_capability_minor = 0;
  int multiprocessor_count = 0;
};

// Properties and free memory of device `index` (this makes it the calling
// thread's current device). kInvalidArgument for an index out of range,
// kFailedPrecondition when there is no GPU.
Result<CudaDeviceInfo> QueryCudaDevice(int index);

}  // namespace jobctl::cuda
