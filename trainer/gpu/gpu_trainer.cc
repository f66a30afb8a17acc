// GpuTrainer over GpuModel and GpuOptimizer (built with the CUDA toolkit).
#include "trainer/gpu/gpu_trainer.h"

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "trainer/cuda/cuda_check.h"
#include "trainer/gpu/device_array.h"
#include "trainer/gpu/gpu_model.h"
#include "trainer/gpu/gpu_optimizer.h"
#include "trainer/gpu/kernels.h"

namespace jobctl::trainer {
namespace {

using gpu::DeviceArray;

// LOCAL_RANK (0 when unset) modulo the device count, as NcclCommunicator
// picks its device.
Result<int> LocalCudaDevice() {
  int count = 0;
  JOBCTL_CUDA_RETURN_IF_ERROR(cudaGetDeviceCount(&count));
  const char* local = std::getenv("LOCAL_RANK");
  const int rank = local == nullptr ? 0 : std::atoi(local);
  return count > 0 && rank > 0 ? rank % count : 0;
}

struct DeviceDataset {
  int count = 0;
  int features = 0;
  DeviceArray<float> x;
  DeviceArray<int> y;

  Status Upload(const Dataset& data) {
    count = data.count;
    features = data.features;
    JOBCTL_RETURN_IF_ERROR(x.AssignFromHost(data.x.data(), data.x.size()));
    return y.AssignFromHost(data.y.data(), data.y.size());
  }
};

class CudaTrainer : public GpuTrainer {
 public:
  CudaTrainer(const GpuTrainerConfig& config, Pcg32* dropout_rng)
      : config_(config), dropout_rng_(dropout_rng) {}

  Status Init(const Sequential& model, Optimizer* optimizer, const Dataset& train,
              const Dataset& val) {
    int device = config_.device;
    if (device < 0) {
      JOBCTL_ASSIGN_OR_RETURN(device, LocalCudaDevice());
    }
    JOBCTL_CUDA_RETURN_IF_ERROR(cudaSetDevice(device));
    JOBCTL_ASSIGN_OR_RETURN(gpu::GpuPlan plan,
                            gpu::BuildGpuPlan(config_.spec, config_.model_options, model.params()));
    JOBCTL_ASSIGN_OR_RETURN(gpu::LossKind loss, gpu::ParseLossKind(config_.loss));
    const int max_batch = std::max(config_.local_batch, config_.eval_batch);
    JOBCTL_ASSIGN_OR_RETURN(model_, gpu::GpuModel::Create(std::move(plan), loss, max_batch));
    JOBCTL_ASSIGN_OR_RETURN(optimizer_, gpu::GpuOptimizer::Create(config_.optimizer, optimizer));
    JOBCTL_RETURN_IF_ERROR(train_.Upload(train));
    JOBCTL_RETURN_IF_ERROR(val_.Upload(val));
    JOBCTL_RETURN_IF_ERROR(indices_.Allocate(static_cast<size_t>(max_batch)));
    JOBCTL_RETURN_IF_ERROR(batch_x_.Allocate(static_cast<size_t>(max_batch) * train.features));
    JOBCTL_RETURN_IF_ERROR(batch_y_.Allocate(static_cast<size_t>(max_batch)));
    JOBCTL_RETURN_IF_ERROR(loss_sum_.Allocate(1));
    JOBCTL_RETURN_IF_ERROR(correct_.Allocate(1));
    return Status::Ok();
  }

  Status Upload(const Sequential& model, Optimizer* optimizer) override {
    JOBCTL_RETURN_IF_ERROR(model_->UploadParameters(model.params().values()));
    return optimizer_->Upload(optimizer);
  }

  Status Download(Sequential* model, Optimizer* optimizer) override {
    JOBCTL_RETURN_IF_ERROR(model_->DownloadParameters(model->params().values()));
    return optimizer_->Download(optimizer);
  }

  Result<float> ForwardLoss(const int* indices, int n) override {
    if (n <= 0 || n > model_->max_batch()) {
      return InvalidArgumentError("GPU step of " + std::to_string(n) + " samples");
    }
    JOBCTL_RETURN_IF_ERROR(indices_.CopyFromHost(indices, static_cast<size_t>(n)));
    JOBCTL_CUDA_RETURN_IF_ERROR(gpu::kernels::GatherRows(train_.x.get(), train_.y.get(),
                                                         train_.features, indices_.get(), n,
                                                         batch_x_.get(), batch_y_.get(), nullptr));
    JOBCTL_RETURN_IF_ERROR(
        model_->Forward(batch_x_.get(), n, /*training=*/true, dropout_rng_).status());
    JOBCTL_RETURN_IF_ERROR(model_->Loss(batch_y_.get(), loss_sum_.get(), /*accumulate=*/false));
    double sum = 0.0;
    JOBCTL_RETURN_IF_ERROR(loss_sum_.CopyToHost(&sum, 1));
    return static_cast<float>(sum / model_->LossDivisor(n));
  }

  Status BackwardAndStep(Communicator* comm) override {
    JOBCTL_RETURN_IF_ERROR(model_->Backward());
    const size_t count = model_->parameter_count();
    if (comm->world_size() > 1) {
      if (comm->memory_kind() == MemoryKind::kDevice) {
        JOBCTL_RETURN_IF_ERROR(comm->AllReduceAverage(model_->grads(), count));
      } else {
        host_grads_.resize(count);
        JOBCTL_RETURN_IF_ERROR(model_->DownloadGradients(host_grads_.data()));
        JOBCTL_RETURN_IF_ERROR(comm->AllReduceAverage(host_grads_.data(), count));
        JOBCTL_CUDA_RETURN_IF_ERROR(cudaMemcpy(model_->grads(), host_grads_.data(),
                                               count * sizeof(float), cudaMemcpyHostToDevice));
      }
    }
    return optimizer_->Step(model_->values(), model_->grads(), count);
  }

  Result<EvalResult> Evaluate(float threshold) override {
    EvalResult result;
    if (val_.count == 0) return result;
    JOBCTL_CUDA_RETURN_IF_ERROR(cudaMemset(correct_.get(), 0, sizeof(int)));
    for (int start = 0; start < val_.count; start += config_.eval_batch) {
      const int n = std::min(config_.eval_batch, val_.count - start);
      const float* x = val_.x.get() + static_cast<size_t>(start) * val_.features;
      const int* labels = val_.y.get() + start;
      JOBCTL_RETURN_IF_ERROR(model_->Forward(x, n, /*training=*/false, nullptr).status());
      JOBCTL_RETURN_IF_ERROR(model_->Loss(labels, loss_sum_.get(), /*accumulate=*/start > 0));
      JOBCTL_RETURN_IF_ERROR(model_->CountCorrect(labels, threshold, correct_.get()));
    }
    double sum = 0.0;
    int correct = 0;
    JOBCTL_RETURN_IF_ERROR(loss_sum_.CopyToHost(&sum, 1));
    JOBCTL_RETURN_IF_ERROR(correct_.CopyToHost(&correct, 1));
    // The sum of every sample's loss: the summands over the per-sample
    // divisor (1 for cross entropy, the output count for the others).
    result.loss_sum = sum / model_->LossDivisor(1);
    result.correct = correct;
    result.count = val_.count;
    return result;
  }

 private:
  const GpuTrainerConfig config_;
  Pcg32* dropout_rng_;
  std::unique_ptr<gpu::GpuModel> model_;
  std::unique_ptr<gpu::GpuOptimizer> optimizer_;
  DeviceDataset train_;
  DeviceDataset val_;
  DeviceArray<int> indices_;
  DeviceArray<float> batch_x_;
  DeviceArray<int> batch_y_;
  DeviceArray<double> loss_sum_;
  DeviceArray<int> correct_;
  std::vector<float> host_grads_;
};

class HostStagingCommunicator : public Communicator {
 public:
  explicit HostStagingCommunicator(Communicator* device_comm) : inner_(device_comm) {}

  int rank() const override { return inner_->rank(); }
  int world_size() const override { return inner_->world_size(); }
  MemoryKind memory_kind() const override { return MemoryKind::kHost; }

  Status AllReduceAverage(float* data, size_t count) override {
    JOBCTL_RETURN_IF_ERROR(Stage(data, count));
    JOBCTL_RETURN_IF_ERROR(inner_->AllReduceAverage(scratch_.get(), count));
    return scratch_.CopyToHost(data, count);
  }
  Status Broadcast(float* data, size_t count, int root) override {
    JOBCTL_RETURN_IF_ERROR(Stage(data, count));
    JOBCTL_RETURN_IF_ERROR(inner_->Broadcast(scratch_.get(), count, root));
    return scratch_.CopyToHost(data, count);
  }
  Status Barrier() override { return inner_->Barrier(); }

 private:
  Status Stage(const float* data, size_t count) {
    if (scratch_.size() < count) JOBCTL_RETURN_IF_ERROR(scratch_.Allocate(count));
    return scratch_.CopyFromHost(data, count);
  }

  Communicator* inner_;
  DeviceArray<float> scratch_;
};

}  // namespace

Result<std::unique_ptr<GpuTrainer>> GpuTrainer::Create(const GpuTrainerConfig& config,
                                                       const Sequential& model,
                                                       Optimizer* optimizer, const Dataset& train,
                                                       const Dataset& val, Pcg32* dropout_rng) {
  auto trainer = std::make_unique<CudaTrainer>(config, dropout_rng);
  JOBCTL_RETURN_IF_ERROR(trainer->Init(model, optimizer, train, val));
  return std::unique_ptr<GpuTrainer>(std::move(trainer));
}

Result<std::unique_ptr<Communicator>> MakeHostStagingCommunicator(Communicator* device_comm) {
  return std::unique_ptr<Communicator>(new HostStagingCommunicator(device_comm));
}

}  // namespace jobctl::trainer
