#include "trainer/gpu/gpu_optimizer.h"

#include <cmath>

#include "trainer/gpu/kernels.h"

namespace jobctl::trainer::gpu {

Result<std::unique_ptr<GpuOptimizer>> GpuOptimizer::Create(const OptimizerConfig& config,
                                                           Optimizer* host) {
  OptimizerConfig c = config;
  // CreateOptimizer's defaults.
  if (c.name == "sgd") {
    c.lr = c.lr.value_or(0.01f);
  } else if (c.name == "adam") {
    c.lr = c.lr.value_or(1e-3f);
    c.eps = c.eps.value_or(1e-8f);
  } else if (c.name == "adadelta") {
    c.lr = c.lr.value_or(1.0f);
    c.eps = c.eps.value_or(1e-6f);
  } else {
    return InvalidArgumentError("--optimizer: unknown optimizer \"" + c.name + "\"");
  }
  std::unique_ptr<GpuOptimizer> optimizer(new GpuOptimizer(c));
  for (auto& [name, buffer] : host->StateBuffers()) {
    DeviceArray<float> device;
    JOBCTL_RETURN_IF_ERROR(device.Allocate(buffer->size()));
    optimizer->state_.emplace_back(name, std::move(device));
  }
  const bool complete =
      (c.name == "sgd" && (c.momentum == 0.0f || optimizer->State("momentum_buffer"))) ||
      (c.name == "adam" && optimizer->State("exp_avg") && optimizer->State("exp_avg_sq")) ||
      (c.name == "adadelta" && optimizer->State("square_avg") && optimizer->State("acc_delta"));
  if (!complete) {
    return InternalError("GPU optimizer: the host " + c.name +
                         " optimizer's state buffers are not the expected ones");
  }
  optimizer->steps_ = host->steps();
  return optimizer;
}

float* GpuOptimizer::State(const std::string& name) {
  for (auto& [buffer_name, buffer] : state_) {
    if (buffer_name == name) return buffer.get();
  }
  return nullptr;
}

Status GpuOptimizer::Step(float* params, const float* grads, size_t count) {
  const OptimizerConfig& c = config_;
  constexpr cudaStream_t kStream = nullptr;
  if (c.name == "sgd") {
    kernels::SgdConstants k{*c.lr,          c.momentum, c.dampening,
                            c.weight_decay, c.nesterov, steps_ == 0};
    JOBCTL_CUDA_RETURN_IF_ERROR(
        kernels::SgdStep(k, params, grads, State("momentum_buffer"), count, kStream));
    ++steps_;
  } else if (c.name == "adam") {
    ++steps_;
    // Adam::Step's constants, computed the same way.
    const double t = static_cast<double>(steps_);
    const float bias_correction1 = static_cast<float>(1.0 - std::pow(double{c.beta1}, t));
    const float bias_correction2 = static_cast<float>(1.0 - std::pow(double{c.beta2}, t));
    kernels::AdamConstants k{c.beta1,
                             c.beta2,
                             c.weight_decay,
                             *c.eps,
                             *c.lr / bias_correction1,
                             1.0f / std::sqrt(bias_correction2)};
    JOBCTL_CUDA_RETURN_IF_ERROR(
        kernels::AdamStep(k, params, grads, State("exp_avg"), State("exp_avg_sq"), count, kStream));
  } else {
    kernels::AdadeltaConstants k{*c.lr, c.rho, *c.eps, c.weight_decay};
    JOBCTL_CUDA_RETURN_IF_ERROR(kernels::AdadeltaStep(k, params, grads, State("square_avg"),
                                                      State("acc_delta"), count, kStream));
    ++steps_;
  }
  return Status::Ok();
}

Status GpuOptimizer::Upload(Optimizer* host) {
  for (auto& [name, buffer] : host->StateBuffers()) {
    float* device = State(name);
    if (device == nullptr) return InternalError("GPU optimizer: no state buffer " + name);
    JOBCTL_CUDA_RETURN_IF_ERROR(
        cudaMemcpy(device, buffer->data(), buffer->size() * sizeof(float), cudaMemcpyHostToDevice));
  }
  steps_ = host->steps();
  return Status::Ok();
}

Status GpuOptimizer::Download(Optimizer* host) const {
  for (auto& [name, buffer] : host->StateBuffers()) {
    const DeviceArray<float>* device = nullptr;
    for (const auto& [buffer_name, array] : state_) {
      if (buffer_name == name) device = &array;
    }
    if (device == nullptr) return InternalError("GPU optimizer: no state buffer " + name);
    JOBCTL_RETURN_IF_ERROR(device->CopyToHost(buffer->data(), buffer->size()));
  }
  host->set_steps(steps_);
  return Status::Ok();
}

}  // namespace jobctl::trainer::gpu
