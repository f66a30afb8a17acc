// GpuOptimizer: the optimizer step on device buffers, PyTorch's update
// rules as the CPU optimizers apply them (trainer/optimizers/*.cc), one
// fused kernel per step.
//
// Its state buffers mirror a host Optimizer's StateBuffers() (same names,
// same sizes), so checkpoints go through the host optimizer: Download()
// copies the state and the step count into it, Upload() takes them from it
// (after initialisation or --resume).
//
// Thread-safety: not thread-safe; one owner.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "trainer/gpu/device_array.h"
#include "trainer/optimizers/optimizer.h"

namespace jobctl::trainer::gpu {

class GpuOptimizer {
 public:
  // `config` as CreateOptimizer took it (already validated); `host` the
  // optimizer CreateOptimizer made from it, for the buffer names and sizes.
  static Result<std::unique_ptr<GpuOptimizer>> Create(const OptimizerConfig& config,
                                                      Optimizer* host);

  // One update of params[0, count) from grads (device pointers).
  Status Step(float* params, const float* grads, size_t count);

  Status Upload(Optimizer* host);
  Status Download(Optimizer* host) const;
  int64_t steps() const { return steps_; }

 private:
  explicit GpuOptimizer(const OptimizerConfig& config) : config_(config) {}
  float* State(const std::string& name);

  OptimizerConfig config_;  // defaults filled in
  std::vector<std::pair<std::string, DeviceArray<float>>> state_;
  int64_t steps_ = 0;
};

}  // namespace jobctl::trainer::gpu
