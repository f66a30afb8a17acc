#include "trainer/train/training_data.h"

#include "trainer/data/data_spec.h"
#include "trainer/data/distributed_sampler.h"

namespace jobctl::trainer {

Result<TrainingData> PrepareTrainingData(const TrainOptions& options) {
  TrainingData out;
  JOBCTL_ASSIGN_OR_RETURN(Dataset all, LoadDataSpec(options.data, "--data"));
  if (options.shuffle_split.has_value()) {
    all = Subset(all, ShuffledOrder(all.count, *options.shuffle_split));
  }
  if (options.train_split.has_value()) {
    int split = *options.train_split;
    if (split > all.count || (split == all.count && options.val_data.empty())) {
      return InvalidArgumentError("--train-split: " + std::to_string(split) + " leaves no " +
                                  (split > all.count ? "room: " : "validation samples: ") +
                                  all.source + " has " + std::to_string(all.count) + " samples");
    }
    out.train = Slice(all, 0, split);
    out.val = Slice(all, split, all.count);
  } else {
    out.train = std::move(all);
  }
  if (!options.val_data.empty()) {
    JOBCTL_ASSIGN_OR_RETURN(out.val, LoadDataSpec(options.val_data, "--val-data"));
    if (out.val.features != out.train.features) {
      return InvalidArgumentError("--val-data: " + out.val.source + " has " +
                                  std::to_string(out.val.features) + " features, " +
                                  out.train.source + " has " +
                                  std::to_string(out.train.features));
    }
  }
  std::string mode =
      options.normalize.empty() ? std::string(DefaultNormalization(out.train)) : options.normalize;
  JOBCTL_ASSIGN_OR_RETURN(out.normalizer, Normalizer::Fit(out.train, mode));
  out.normalizer.Apply(&out.train);
  out.normalizer.Apply(&out.val);
  return out;
}

}  // namespace jobctl::trainer
