// CheckpointSnapshot: a training checkpoint's contents copied out of the
// model and the optimizer, so that the file can be written while training
// goes on (AsyncCheckpointWriter).
//
// WriteCheckpointSnapshot(path, Snapshot(model, optimizer, meta)) writes the
// same bytes as SaveCheckpoint(path, model, optimizer, meta) (see
// training_checkpoint.h for the contents).
//
// Thread-safety: a value type; Take and Write are reentrant.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/status.h"
#include "trainer/checkpoint/training_checkpoint.h"

namespace jobctl::trainer {

struct CheckpointSnapshot {
  std::vector<ParameterInfo> parameters;
  std::vector<float> values;  // the parameter buffer, in its own layout
  std::vector<std::string> state_names;
  std::vector<std::vector<float>> state;  // the optimizer's buffers
  Metadata metadata;                      // including optimizer_steps

  // Copies the model's parameters and the optimizer's state now (plain
  // copies: the layout changes are left to the write). Reuses the buffers
  // of a previous Take of the same model, so taking one each epoch does not
  // allocate.
  void Take(const Sequential& model, Optimizer* optimizer, const Metadata& meta);
};

// `before_commit`: see WriteSafetensors (e.g. CheckpointFence::Check).
Status WriteCheckpointSnapshot(const std::string& path, const CheckpointSnapshot& snapshot,
                               const std::function<Status()>& before_commit = nullptr);

}  // namespace jobctl::trainer
