// MetricsReporter: sends a rank's epoch metrics (train_loss, val_loss,
// val_accuracy, samples_per_second, epoch_seconds, step = epoch) to the
// agent's metrics channel named by JOBCTL_METRICS (docs/tracking.md), one
// `NAME VALUE STEP` line each. Without JOBCTL_METRICS it does nothing; a
// channel that cannot be opened is reported once to stderr and ignored:
// metrics never stop training.
//
// Thread-safety: not thread-safe.
#pragma once

#include <string>

#include "trainer/train/train_loop.h"

namespace jobctl::trainer {

class MetricsReporter {
 public:
  // Reads JOBCTL_METRICS.
  MetricsReporter();
  explicit MetricsReporter(std::string path) : path_(std::move(path)) {}
  ~MetricsReporter();
  MetricsReporter(const MetricsReporter&) = delete;
  MetricsReporter& operator=(const MetricsReporter&) = delete;

  void Report(const EpochReport& report);

 private:
  bool EnsureOpen();

  std::string path_;
  int fd_ = -1;
  bool failed_ = false;
};

}  // namespace jobctl::trainer
