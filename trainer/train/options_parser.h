// ParseCommandLine: `jobtrainer [TRAIN OPTIONS]`, `jobtrainer --config
// train.yaml [OVERRIDES]` and `jobtrainer predict [PREDICT OPTIONS]`.
//
// A YAML config is a map whose keys are the long option names without the
// dashes (`batch-size: 64`, `batch_size` also accepted); options given on
// the command line win over the file. Unknown keys are errors.
//
// Thread-safety: reentrant.
#pragma once

#include <string>
#include <variant>

#include "common/status.h"
#include "trainer/train/train_options.h"

namespace jobctl::trainer {

// Help was asked for: `text` is what to print, exit status 0.
struct HelpRequested {
  std::string text;
};

using ParsedCommand = std::variant<TrainOptions, PredictOptions, HelpRequested>;

// kInvalidArgument with a message naming the option or file.
Result<ParsedCommand> ParseCommandLine(int argc, const char* const* argv);

}  // namespace jobctl::trainer
