// ModelSpec: the text form of a model on the command line.
//
//   mlp:IN-H1-...-OUT   Linear layers with an activation between them
//   logreg:IN-OUT       one Linear layer
//   cnn                 conv 1->32 3x3, ReLU, maxpool 2, conv 32->64 3x3,
//                       ReLU, maxpool 2, flatten, fc 1600->128, ReLU,
//                       fc 128->10, on 1x28x28 inputs
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace jobctl::trainer {

enum class ModelKind { kMlp, kLogreg, kCnn };
enum class Activation { kRelu, kTanh, kSigmoid };

struct ModelSpec {
  ModelKind kind = ModelKind::kMlp;
  std::vector<int> sizes;  // layer widths for mlp/logreg; empty for cnn
  std::string text;        // the spec as given, for checkpoints and messages

  int input_features() const;
  int output_features() const;
};

// kInvalidArgument with a message `cannot parse "TEXT": REASON`.
Result<ModelSpec> ParseModelSpec(std::string_view text);

// "relu", "tanh", "sigmoid".
Result<Activation> ParseActivation(std::string_view text);
std::string_view ActivationName(Activation activation);

}  // namespace jobctl::trainer
