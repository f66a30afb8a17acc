#include "agent/metrics_channel.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "common/protocol/metric_records.h"

namespace jobctl::agent {
namespace {

class MetricsChannelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/metrics-channel-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto channel = MetricsChannel::Open(
        io_, dir_ + "/rank-0.fifo",
        [this](const std::vector<std::string>& records) {
          for (const auto& r : records) {
            auto p = protocol::DecodeMetricPoint(r);
            ASSERT_TRUE(p.ok());
            points_.push_back(*p);
          }
        },
        [this](const std::string& line) { notices_.push_back(line); });
    ASSERT_TRUE(channel.ok()) << channel.status().ToString();
    channel_ = std::move(*channel);
  }
  void TearDown() override {
    channel_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Write(const std::string& text) {
    int fd = ::open((dir_ + "/rank-0.fifo").c_str(), O_WRONLY | O_NONBLOCK);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    ::close(fd);
  }
  // Runs the loop until `n` points arrived (bounded).
  void RunUntil(size_t n) {
    for (int i = 0; i < 200 && points_.size() < n; ++i) {
      io_.run_for(std::chrono::milliseconds(10));
      io_.restart();
    }
  }

  boost::asio::io_context io_;
  std::string dir_;
  std::unique_ptr<MetricsChannel> channel_;
  std::vector<protocol::MetricPoint> points_;
  std::vector<std::string> notices_;
};

TEST_F(MetricsChannelTest, ParsesLinesAndNumbersStepsWithoutOne) {
  Write("loss 0.5 10\nloss 0.25\nacc 1\n# comment\n\n");
  RunUntil(3);
  ASSERT_EQ(points_.size(), 3u);
  EXPECT_EQ(points_[0].name, "loss");
  EXPECT_EQ(points_[0].step, 10);
  EXPECT_EQ(points_[1].step, 11);
  EXPECT_EQ(points_[1].value, 0.25);
  EXPECT_EQ(points_[2].name, "acc");
  EXPECT_EQ(points_[2].step, 0);
  EXPECT_GT(points_[2].time_ms, 0);
  EXPECT_TRUE(notices_.empty());
}

TEST_F(MetricsChannelTest, BadLinesAreCountedAndReportedOnce) {
  Write("loss x\nloss 1 2\n" + std::string(5000, 'a') + "\nbad\nloss 2 3\n");
  RunUntil(2);
  ASSERT_EQ(points_.size(), 2u);
  EXPECT_EQ(channel_->bad_lines(), 3u);
  ASSERT_EQ(notices_.size(), 1u);
  EXPECT_NE(notices_[0].find("loss x"), std::string::npos) << notices_[0];
  channel_->Close();
  ASSERT_EQ(notices_.size(), 2u);
  EXPECT_NE(notices_[1].find("3 bad line(s)"), std::string::npos) << notices_[1];
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/rank-0.fifo"));
}

TEST_F(MetricsChannelTest, CloseReadsWhatIsLeftInThePipe) {
  Write("a 1 0\nb 2 0\nc 3");  // the last line has no newline
  channel_->Close();           // without running the loop
  ASSERT_EQ(points_.size(), 3u);
  EXPECT_EQ(points_[2].name, "c");
}

}  // namespace
}  // namespace jobctl::agent
