#include "trainer/cuda/device.h"

#include "trainer/cuda/cuda_check.h"

namespace jobctl::cuda {
namespace {

// cudaGetDeviceCount as a Result: count, or why there is none.
Result<int> DeviceCountOrReason() {
#ifdef JOBCTL_HAVE_CUDA
  int count = 0;
  Status status = JOBCTL_CUDA_STATUS(cudaGetDeviceCount(&count));
  if (!status.ok()) {
    // Clear the sticky "last error" so later calls start clean.
    (void)cudaGetLastError();
    return FailedPreconditionError(status.message());
  }
  if (count == 0) return FailedPreconditionError("the CUDA runtime reports 0 devices");
  return count;
#else
  return FailedPreconditionError("built without the CUDA toolkit");
#endif
}

}  // namespace

bool BuiltWithCuda() {
#ifdef JOBCTL_HAVE_CUDA
  return true;
#else
  return false;
#endif
}

int CudaDeviceCount() { return DeviceCountOrReason().value_or(0); }

std::string NoCudaDeviceReason() {
  auto count = DeviceCountOrReason();
  return count.ok() ? std::string() : count.status().message();
}

Result<CudaDeviceInfo> QueryCudaDevice(int index) {
  JOBCTL_ASSIGN_OR_RETURN(int count, DeviceCountOrReason());
  if (index < 0 || index >= count) {
    return InvalidArgumentError("CUDA device " + std::to_string(index) + " is not in [0, " +
                                std::to_string(count) + ")");
  }
#ifdef JOBCTL_HAVE_CUDA
  cudaDeviceProp props{};
  JOBCTL_CUDA_RETURN_IF_ERROR(cudaGetDeviceProperties(&props, index));
  JOBCTL_CUDA_RETURN_IF_ERROR(cudaSetDevice(index));
  size_t free_bytes = 0;
  size_t total_bytes = 0;
  JOBCTL_CUDA_RETURN_IF_ERROR(cudaMemGetInfo(&free_bytes, &total_bytes));
  CudaDeviceInfo info;
  info.index = index;
  info.name = props.name;
  info.total_memory_bytes = total_bytes;
  info.free_memory_bytes = free_bytes;
  info.compute_capability_major = props.major;
  info.compute_capability_minor = props.minor;
  info.multiprocessor_count = props.multiProcessorCount;
  return info;
#else
  return FailedPreconditionError("built without the CUDA toolkit");
#endif
}

}  // namespace jobctl::cuda
