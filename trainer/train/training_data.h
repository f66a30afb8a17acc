// PrepareTrainingData: loads --data (and --val-data), splits it by
// --train-split (after a --shuffle-split shuffle when given), fits the
// normaliser on the training part and applies it to both parts.
//
// Thread-safety: reentrant.
#pragma once

#include "common/status.h"
#include "trainer/data/dataset.h"
#include "trainer/data/normalizer.h"
#include "trainer/train/train_options.h"

namespace jobctl::trainer {

struct TrainingData {
  Dataset train;
  Dataset val;  // may be empty (count 0): no validation
  Normalizer normalizer;
};

Result<TrainingData> PrepareTrainingData(const TrainOptions& options);

}  // namespace jobctl::trainer
