#include "trainer/train/train_loop.h"

#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>

#include "trainer/checkpoint/async_checkpoint_writer.h"
#include "trainer/checkpoint/checkpoint_fence.h"
#include "trainer/checkpoint/training_checkpoint.h"
#include "trainer/data/distributed_sampler.h"
#include "trainer/gpu/gpu_trainer.h"
#include "trainer/losses/loss.h"
#include "trainer/model/model_spec.h"
#include "trainer/model/sequential.h"
#include "trainer/tensor/blas.h"
#include "trainer/train/evaluate.h"
#include "trainer/train/metrics_reporter.h"
#include "trainer/train/training_data.h"

namespace jobctl::trainer {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Options-level checks of the model against the data.
Status CheckModelFitsData(const ModelSpec& spec, const Dataset& train, const std::string& loss) {
  if (spec.input_features() != train.features) {
    return InvalidArgumentError("--model: \"" + spec.text + "\" takes " +
                                std::to_string(spec.input_features()) + " inputs, but " +
                                train.source + " has " + std::to_string(train.features) +
                                " features per sample");
  }
  int outputs = spec.output_features();
  int classes = train.num_classes();
  if (loss == "cross_entropy" && outputs < 2) {
    return InvalidArgumentError("--model: cross_entropy needs at least 2 outputs, \"" + spec.text +
                                "\" has " + std::to_string(outputs));
  }
  if (outputs > 1 && classes > outputs) {
    return InvalidArgumentError("--model: \"" + spec.text + "\" has " + std::to_string(outputs) +
                                " outputs, but " + train.source + " has labels up to " +
                                std::to_string(classes - 1));
  }
  return Status::Ok();
}

std::string NormalizerJson(const std::vector<float>& values) {
  return nlohmann::json(values).dump();
}

}  // namespace

std::string FormatEpochLine(const EpochReport& r) {
  char line[256];
  if (r.has_validation) {
    std::snprintf(line, sizeof(line),
                  "epoch %d/%d train_loss=%.4f val_loss=%.4f val_accuracy=%.4f "
                  "samples_per_second=%.0f epoch_seconds=%.2f",
                  r.epoch, r.epochs, r.train_loss, r.val_loss, r.val_accuracy, r.samples_per_second,
                  r.epoch_seconds);
  } else {
    std::snprintf(line, sizeof(line),
                  "epoch %d/%d train_loss=%.4f val_loss=nan val_accuracy=nan "
                  "samples_per_second=%.0f epoch_seconds=%.2f",
                  r.epoch, r.epochs, r.train_loss, r.samples_per_second, r.epoch_seconds);
  }
  return line;
}

Status RunTraining(const TrainOptions& options, Communicator* comm, std::ostream& out) {
  // --device cuda over NCCL: `comm` takes device pointers; the loop's own
  // collectives on host values go through a staging copy.
  Communicator* const gradient_comm = comm;
  std::unique_ptr<Communicator> staged_comm;
  if (comm->memory_kind() == MemoryKind::kDevice) {
    JOBCTL_ASSIGN_OR_RETURN(staged_comm, MakeHostStagingCommunicator(comm));
    comm = staged_comm.get();
  }
  const int rank = comm->rank();
  const int world = comm->world_size();
  if (options.batch_size % world != 0) {
    return InvalidArgumentError("--batch-size: " + std::to_string(options.batch_size) +
                                " is not divisible by WORLD_SIZE " + std::to_string(world));
  }
  const int local_batch = options.batch_size / world;
  SetBlasThreads(options.threads);

  Result<ModelSpec> parsed_spec = ParseModelSpec(options.model);
  if (!parsed_spec.ok()) return parsed_spec.status().WithContext("--model");
  const ModelSpec& spec = *parsed_spec;
  Result<Activation> parsed_activation = ParseActivation(options.activation);
  if (!parsed_activation.ok()) return parsed_activation.status().WithContext("--activation");
  const Activation activation = *parsed_activation;
  Result<std::unique_ptr<Loss>> created_loss = CreateLoss(options.loss);
  if (!created_loss.ok()) return created_loss.status().WithContext("--loss");
  std::unique_ptr<Loss> loss = std::move(created_loss).value();
  JOBCTL_ASSIGN_OR_RETURN(TrainingData data, PrepareTrainingData(options));
  JOBCTL_RETURN_IF_ERROR(CheckModelFitsData(spec, data.train, options.loss));

  Pcg32 dropout_rng(options.seed, 2 + static_cast<uint64_t>(rank));
  JOBCTL_ASSIGN_OR_RETURN(std::unique_ptr<Sequential> model,
                          Sequential::Build(spec, {activation, options.dropout}, &dropout_rng));
  Pcg32 init_rng(options.seed, 1);
  model->Initialize(&init_rng);
  ParameterBuffer& params = model->params();
  JOBCTL_ASSIGN_OR_RETURN(std::unique_ptr<Optimizer> optimizer,
                          CreateOptimizer(options.optimizer, params.size()));

  const std::string checkpoint_dir =
      options.checkpoint_dir.empty()
          ? (std::filesystem::path(options.outputs) / "checkpoints").string()
          : options.checkpoint_dir;
  // Rank 0 writes the checkpoints: it claims the folder first, so that a
  // stale writer (a lost attempt's rank 0) stops before the latest
  // checkpoint is picked.
  std::optional<CheckpointFence> fence;
  std::function<Status()> check_fence = nullptr;
  if (rank == 0) {
    JOBCTL_ASSIGN_OR_RETURN(
        CheckpointFence claimed,
        CheckpointFence::Claim(checkpoint_dir, CheckpointFence::ProcessWriterId()));
    fence.emplace(std::move(claimed));
    check_fence = [&fence] { return fence->Check(); };
  }
  int start_epoch = 1;
  if (options.resume) {
    // Rank 0 picks the checkpoint, so every rank loads the same one.
    float resume_epoch = 0.0f;
    if (rank == 0) {
      resume_epoch = static_cast<float>(FindLatestCheckpointEpoch(checkpoint_dir).value_or(0));
    }
    JOBCTL_RETURN_IF_ERROR(comm->Broadcast(&resume_epoch, 1, 0));
    const int epoch = static_cast<int>(resume_epoch);
    if (epoch > 0) {
      const std::string path = CheckpointPath(checkpoint_dir, epoch);
      JOBCTL_ASSIGN_OR_RETURN(Metadata meta, LoadCheckpoint(path, model.get(), optimizer.get()));
      if (meta["model"] != spec.text || meta["optimizer"] != options.optimizer.name) {
        return InvalidArgumentError("--resume: " + path + " was written for --model " +
                                    meta["model"] + " --optimizer " + meta["optimizer"]);
      }
      if (meta["epoch"] != std::to_string(epoch)) {
        return InvalidArgumentError("--resume: " + path + " holds epoch \"" + meta["epoch"] + "\"");
      }
      start_epoch = epoch + 1;
      JOBCTL_ASSIGN_OR_RETURN(dropout_rng, Pcg32::Deserialize(meta["dropout_rng"]));
      if (rank == 0) {
        out << "resume: epoch " << epoch << " from " << path;
        if (!meta["writer"].empty()) out << " (written by " << meta["writer"] << ")";
        out << "; continuing at epoch " << start_epoch << "/" << options.epochs << std::endl;
      }
    } else if (rank == 0) {
      out << "resume: no checkpoint in " << checkpoint_dir << "; starting at epoch 1/"
          << options.epochs << std::endl;
    }
  }
  // Rank 0's weights (initial or restored) are everyone's.
  JOBCTL_RETURN_IF_ERROR(comm->Broadcast(params.values(), params.size(), 0));
  // --device cuda: the same math on the GPU; model and optimizer stay the
  // host copies for checkpoints and the model file.
  std::unique_ptr<GpuTrainer> gpu;
  if (options.device == "cuda") {
    GpuTrainerConfig gpu_config{
        spec, {activation, options.dropout}, options.optimizer, options.loss, local_batch};
    JOBCTL_ASSIGN_OR_RETURN(gpu, GpuTrainer::Create(gpu_config, *model, optimizer.get(), data.train,
                                                    data.val, &dropout_rng));
    JOBCTL_RETURN_IF_ERROR(gpu->Upload(*model, optimizer.get()));
  }

  const float threshold = options.loss == "binary_cross_entropy" ? 0.0f : 0.5f;
  DistributedSampler sampler(data.train.count, rank, world, options.seed, /*shuffle=*/true);
  Tensor batch;
  Tensor grad;
  std::vector<int> labels;
  MetricsReporter metrics;  // JOBCTL_METRICS, rank 0 only, after each checkpoint
  // Declared after everything its callbacks use, so it waits for the write
  // in flight before they go away.
  AsyncCheckpointWriter checkpoints;
  for (int epoch = start_epoch; epoch <= options.epochs; ++epoch) {
    const auto epoch_start = Clock::now();
    std::vector<int> indices = sampler.EpochIndices(epoch);
    double loss_sum = 0.0;
    for (size_t start = 0; start < indices.size(); start += static_cast<size_t>(local_batch)) {
      int n = static_cast<int>(std::min(indices.size() - start, static_cast<size_t>(local_batch)));
      float batch_loss = 0.0f;
      if (gpu) {
        JOBCTL_ASSIGN_OR_RETURN(batch_loss, gpu->ForwardLoss(indices.data() + start, n));
      } else {
        GatherBatch(data.train, indices.data() + start, n, &batch, &labels);
        const Tensor& output = model->Forward(batch, /*training=*/true);
        batch_loss = loss->Compute(output, labels.data(), &grad);
      }
      if (!std::isfinite(batch_loss)) {
        return FailedPreconditionError("epoch " + std::to_string(epoch) +
                                       ": the loss is not finite (lower --lr?)");
      }
      loss_sum += static_cast<double>(batch_loss) * n;
      if (gpu) {
        JOBCTL_RETURN_IF_ERROR(gpu->BackwardAndStep(gradient_comm));
        continue;
      }
      model->Backward(grad);
      JOBCTL_RETURN_IF_ERROR(comm->AllReduceAverage(params.grads(), params.size()));
      optimizer->Step(params.values(), params.grads(), params.size());
    }
    const double train_seconds = SecondsSince(epoch_start);
    // Every rank visits the same number of samples, so the mean of the
    // per-rank means is the global mean.
    float train_loss = static_cast<float>(loss_sum / static_cast<double>(indices.size()));
    JOBCTL_RETURN_IF_ERROR(comm->AllReduceAverage(&train_loss, 1));

    EpochReport report;
    report.epoch = epoch;
    report.epochs = options.epochs;
    report.train_loss = train_loss;
    if (data.val.count > 0) {
      EvalResult val;
      if (gpu) {
        JOBCTL_ASSIGN_OR_RETURN(val, gpu->Evaluate(threshold));
      } else {
        val = Evaluate(model.get(), *loss, data.val, 0, 256, threshold);
      }
      report.has_validation = true;
      report.val_loss = val.loss();
      report.val_accuracy = val.accuracy();
    }
    report.samples_per_second =
        static_cast<double>(indices.size()) * world / std::max(train_seconds, 1e-9);
    if (gpu && rank == 0) JOBCTL_RETURN_IF_ERROR(gpu->Download(model.get(), optimizer.get()));
    if (rank == 0) {
      Metadata meta = {{"epoch", std::to_string(epoch)},
                       {"model", spec.text},
                       {"optimizer", options.optimizer.name},
                       {"dropout_rng", dropout_rng.Serialize()},
                       {"writer", fence->id()}};
      JOBCTL_RETURN_IF_ERROR(checkpoints.Snapshot(*model, optimizer.get(), meta));
    }
    report.epoch_seconds = SecondsSince(epoch_start);
    if (rank == 0) {
      // The file is written while the next epoch trains; the epoch's line
      // follows its publication, so an epoch printed is never redone.
      checkpoints.Write(CheckpointPath(checkpoint_dir, epoch), check_fence,
                        [&out, &metrics, report] {
                          out << FormatEpochLine(report) << std::endl;
                          metrics.Report(report);
                        });
    } else {
      out << FormatEpochLine(report) << std::endl;
    }
  }
  JOBCTL_RETURN_IF_ERROR(checkpoints.Wait());
  if (rank == 0) {
    Metadata meta = {{"model", spec.text},
                     {"activation", std::string(ActivationName(activation))},
                     {"dropout", std::to_string(options.dropout)},
                     {"normalize_offset", NormalizerJson(data.normalizer.offset)},
                     {"normalize_scale", NormalizerJson(data.normalizer.scale)}};
    std::error_code ec;
    std::filesystem::create_directories(options.outputs, ec);
    JOBCTL_RETURN_IF_ERROR(
        SaveModel((std::filesystem::path(options.outputs) / "model.safetensors").string(), *model,
                  meta, check_fence));
  }
  return comm->Barrier();
}

}  // namespace jobctl::trainer
