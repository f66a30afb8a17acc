// RunTraining: the data-parallel training loop of one rank.
//
// Every rank builds the same model, takes rank 0's initial weights by
// broadcast, visits its DistributedSampler shard in local batches of
// batch_size / world_size, averages the flat gradient buffer with one
// AllReduceAverage per step, and applies the same optimizer step, so all
// ranks keep identical weights. Each epoch every rank prints
//
//   epoch E/N train_loss=L val_loss=V val_accuracy=A samples_per_second=S epoch_seconds=T
//
// where train_loss is the mean over all ranks' samples, validation runs
// on the full validation set, samples_per_second is the global training
// samples over the training phase and epoch_seconds covers the whole epoch
// (training, validation, copying the checkpoint). Rank 0 writes
// outputs/checkpoints/epoch-E.safetensors each epoch, in the background
// while epoch E+1 trains (AsyncCheckpointWriter), and prints epoch E's line
// once that file is published; it writes outputs/model.safetensors at the
// end. With --resume every rank restores
// the latest checkpoint found in outputs/checkpoints and continues.
//
// Errors: kInvalidArgument for bad options or data (message names the
// option or file); communicator failures as the communicator reports them.
// Thread-safety: one call per process.
#pragma once

#include <ostream>
#include <string>

#include "common/status.h"
#include "trainer/comm/communicator.h"
#include "trainer/train/train_options.h"

namespace jobctl::trainer {

struct EpochReport {
  int epoch = 0;
  int epochs = 0;
  double train_loss = 0.0;
  double val_loss = 0.0;
  double val_accuracy = 0.0;
  bool has_validation = false;
  double samples_per_second = 0.0;
  double epoch_seconds = 0.0;
};

std::string FormatEpochLine(const EpochReport& report);

Status RunTraining(const TrainOptions& options, Communicator* comm, std::ostream& out);

}  // namespace jobctl::trainer
