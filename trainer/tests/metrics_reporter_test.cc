// MetricsReporter writes the epoch metrics as `NAME VALUE STEP` lines to the
// FIFO named by JOBCTL_METRICS, and does nothing without a reader.
#include "trainer/train/metrics_reporter.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace jobctl::trainer {
namespace {

std::string TempFifo() {
  char tmpl[] = "/tmp/metrics-reporter-test-XXXXXX";
  EXPECT_NE(::mkdtemp(tmpl), nullptr);
  std::string path = std::string(tmpl) + "/metrics.fifo";
  EXPECT_EQ(::mkfifo(path.c_str(), 0600), 0);
  return path;
}

TEST(MetricsReporterTest, WritesOneLinePerMetricWithTheEpochAsStep) {
  std::string path = TempFifo();
  int reader = ::open(path.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  {
    MetricsReporter reporter(path);
    EpochReport r;
    r.epoch = 2;
    r.epochs = 2;
    r.train_loss = 0.5;
    r.has_validation = true;
    r.val_loss = 0.25;
    r.val_accuracy = 0.9375;
    r.samples_per_second = 1000;
    r.epoch_seconds = 1.5;
    reporter.Report(r);
  }
  char buf[1024];
  ssize_t n = ::read(reader, buf, sizeof(buf));
  ::close(reader);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)),
            "train_loss 0.5 2\nval_loss 0.25 2\nval_accuracy 0.9375 2\n"
            "samples_per_second 1000 2\nepoch_seconds 1.5 2\n");
  std::filesystem::remove_all(std::filesystem::path(path).parent_path());
}

TEST(MetricsReporterTest, NoReaderOrNoPathIsANoOp) {
  std::string path = TempFifo();
  EpochReport r;
  r.epoch = 1;
  MetricsReporter(path).Report(r);  // ENXIO: warns once, does not block
  MetricsReporter("").Report(r);
  std::filesystem::remove_all(std::filesystem::path(path).parent_path());
}

}  // namespace
}  // namespace jobctl::trainer
