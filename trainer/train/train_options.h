// TrainOptions: everything `jobtrainer` (train) and `jobtrainer predict`
// take, with defaults. Filled by ParseCommandLine (options_parser.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "trainer/optimizers/optimizer.h"

namespace jobctl::trainer {

struct TrainOptions {
  std::string data;                     // --data SPEC (required)
  std::string val_data;                 // --val-data SPEC
  std::optional<int> train_split;       // --train-split N: first N train, rest validation
  std::optional<uint64_t> shuffle_split;  // --shuffle-split SEED: shuffle before splitting
  std::string model = "mlp:784-512-512-10";
  std::string activation = "relu";
  float dropout = 0.0f;
  std::string loss = "cross_entropy";
  OptimizerConfig optimizer;
  int batch_size = 64;                  // global batch; each rank takes batch / WORLD_SIZE
  int epochs = 10;
  int threads = 1;
  std::string device = "cpu";           // cpu | cuda | auto
  std::string outputs = "outputs";
  std::string checkpoint_dir;           // --checkpoint-dir DIR; empty = <outputs>/checkpoints
  uint64_t seed = 0;
  bool resume = false;
  std::string normalize;                // scale | standard | none; empty = by data kind
};

struct PredictOptions {
  std::string model_file;               // --model-file F (required)
  std::string data;                     // --data SPEC (required)
  std::string model;                    // --model SPEC; default from the file's metadata
  std::string activation;               // default from the file's metadata
  std::string loss = "cross_entropy";
  int skip = 0;                         // --skip N: evaluate samples N.. only
  int batch_size = 256;
  int threads = 1;
};

}  // namespace jobctl::trainer
