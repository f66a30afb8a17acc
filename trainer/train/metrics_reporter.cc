#include "trainer/train/metrics_reporter.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace jobctl::trainer {

MetricsReporter::MetricsReporter() {
  const char* path = std::getenv("JOBCTL_METRICS");
  if (path != nullptr) path_ = path;
}

MetricsReporter::~MetricsReporter() {
  if (fd_ >= 0) ::close(fd_);
}

bool MetricsReporter::EnsureOpen() {
  if (fd_ >= 0) return true;
  if (path_.empty() || failed_) return false;
  // Non-blocking open fails at once when nobody reads the FIFO; writes then
  // block (backpressure) rather than drop points.
  fd_ = ::open(path_.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd_ < 0) {
    std::fprintf(stderr, "jobtrainer: metrics channel %s: %s; metrics are not recorded\n",
                 path_.c_str(), std::strerror(errno));
    failed_ = true;
    return false;
  }
  int flags = ::fcntl(fd_, F_GETFL);
  ::fcntl(fd_, F_SETFL, flags & ~O_NONBLOCK);
  return true;
}

void MetricsReporter::Report(const EpochReport& r) {
  if (!EnsureOpen()) return;
  char text[512];
  int n = std::snprintf(text, sizeof(text), "train_loss %.9g %d\n", r.train_loss, r.epoch);
  if (r.has_validation) {
    n += std::snprintf(text + n, sizeof(text) - static_cast<size_t>(n),
                       "val_loss %.9g %d\nval_accuracy %.9g %d\n", r.val_loss, r.epoch,
                       r.val_accuracy, r.epoch);
  }
  n += std::snprintf(text + n, sizeof(text) - static_cast<size_t>(n),
                     "samples_per_second %.9g %d\nepoch_seconds %.9g %d\n", r.samples_per_second,
                     r.epoch, r.epoch_seconds, r.epoch);
  // One write below PIPE_BUF: atomic.
  ssize_t written = ::write(fd_, text, static_cast<size_t>(n));
  if (written != n) {
    std::fprintf(stderr, "jobtrainer: metrics channel %s: write failed: %s\n", path_.c_str(),
                 written < 0 ? std::strerror(errno) : "short write");
    ::close(fd_);
    fd_ = -1;
    failed_ = true;
  }
}

}  // namespace jobctl::trainer
