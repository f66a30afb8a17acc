// DeviceArray<T>: an owned cudaMalloc allocation of `size()` elements.
//
// Errors as values: Allocate and the copies return the CUDA error as a
// Status (JOBCTL_CUDA_RETURN_IF_ERROR). The destructor frees the memory and
// ignores a failure: after a sticky CUDA error every call fails, and the
// process must still reach the code that prints that error and exits.
//
// Thread-safety: not thread-safe; one owner. Copies use the legacy default
// stream and return when done.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <utility>

#include "common/status.h"
#include "trainer/cuda/cuda_check.h"

namespace jobctl::trainer::gpu {

template <typename T>
class DeviceArray {
 public:
  DeviceArray() = default;
  ~DeviceArray() { Release(); }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  DeviceArray(DeviceArray&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  DeviceArray& operator=(DeviceArray&& other) noexcept {
    if (this != &other) {
      Release();
      data_ = std::exchange(other.data_, nullptr);
      size_ = std::exchange(other.size_, 0);
    }
    return *this;
  }

  // Replaces the allocation with `count` zeroed elements.
  Status Allocate(size_t count) {
    Release();
    if (count == 0) return Status::Ok();
    void* memory = nullptr;
    JOBCTL_CUDA_RETURN_IF_ERROR(cudaMalloc(&memory, count * sizeof(T)));
    data_ = static_cast<T*>(memory);
    size_ = count;
    JOBCTL_CUDA_RETURN_IF_ERROR(cudaMemset(data_, 0, count * sizeof(T)));
    return Status::Ok();
  }

  // Allocates `count` elements and copies them from host memory.
  Status AssignFromHost(const T* host, size_t count) {
    JOBCTL_RETURN_IF_ERROR(Allocate(count));
    return CopyFromHost(host, count);
  }

  // Precondition: count <= size().
  Status CopyFromHost(const T* host, size_t count) {
    if (count == 0) return Status::Ok();
    JOBCTL_CUDA_RETURN_IF_ERROR(cudaMemcpy(data_, host, count * sizeof(T), cudaMemcpyHostToDevice));
    return Status::Ok();
  }
  Status CopyToHost(T* host, size_t count) const {
    if (count == 0) return Status::Ok();
    JOBCTL_CUDA_RETURN_IF_ERROR(cudaMemcpy(host, data_, count * sizeof(T), cudaMemcpyDeviceToHost));
    return Status::Ok();
  }

  T* get() { return data_; }
  const T* get() const { return data_; }
  size_t size() const { return size_; }

 private:
  void Release() {
    if (data_ != nullptr) (void)cudaFree(data_);
    data_ = nullptr;
    size_ = 0;
  }

  T* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace jobctl::trainer::gpu
