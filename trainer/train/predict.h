// RunPredict: `jobtrainer predict`: loads a model.safetensors, evaluates it
// on --data (from sample --skip on) and prints
//   loss=L accuracy=A samples=N
// The model spec, activation and normalisation come from the file's
// metadata unless --model / --activation are given.
//
// Errors name the option or file. Thread-safety: one call at a time.
#pragma once

#include <ostream>

#include "common/status.h"
#include "trainer/train/train_options.h"

namespace jobctl::trainer {

Status RunPredict(const PredictOptions& options, std::ostream& out);

}  // namespace jobctl::trainer
