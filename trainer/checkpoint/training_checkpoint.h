// Training checkpoints and model files, both safetensors.
//
// A checkpoint (<checkpoint dir>/epoch-N.safetensors, by default
// outputs/checkpoints/) holds the model's
// parameters under their PyTorch names, every optimizer state buffer as
// "optimizer.<buffer>" (flat, over the whole parameter buffer including
// alignment gaps), and metadata strings: epoch, optimizer, optimizer_steps,
// dropout_rng, model, plus whatever the caller adds. Restoring it and
// continuing gives the same run as one never interrupted.
//
// A model file (outputs/model.safetensors) holds the parameters only, so
// `nn.Sequential(...).load_state_dict(safetensors.torch.load_file(F))`
// works, plus metadata (model spec, activation, normalisation).
//
// Errors name the file. Thread-safety: reentrant; callers own the objects.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "common/status.h"
#include "trainer/checkpoint/safetensors.h"
#include "trainer/model/sequential.h"
#include "trainer/optimizers/optimizer.h"

namespace jobctl::trainer {

using Metadata = std::map<std::string, std::string>;

// "<dir>/epoch-<epoch>.safetensors".
std::string CheckpointPath(const std::string& dir, int epoch);

// The highest-numbered epoch-N.safetensors in dir, or nullopt if none.
std::optional<std::string> FindLatestCheckpoint(const std::string& dir);
// Its N.
std::optional<int> FindLatestCheckpointEpoch(const std::string& dir);

// `before_commit`: see WriteSafetensors (e.g. CheckpointFence::Check).
Status SaveCheckpoint(const std::string& path, const Sequential& model, Optimizer* optimizer,
                      const Metadata& metadata,
                      const std::function<Status()>& before_commit = nullptr);

// Restores parameters and optimizer state; returns the metadata.
// kInvalidArgument when the file's tensors do not fit the model/optimizer.
Result<Metadata> LoadCheckpoint(const std::string& path, Sequential* model, Optimizer* optimizer);

Status SaveModel(const std::string& path, const Sequential& model, const Metadata& metadata,
                 const std::function<Status()>& before_commit = nullptr);

// Copies every parameter of model from file (names and shapes must match).
Status LoadParameters(const SafetensorsFile& file, const std::string& path, Sequential* model);

}  // namespace jobctl::trainer
