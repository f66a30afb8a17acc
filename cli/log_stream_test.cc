#include "cli/log_stream.h"

#include <cstdio>

#include <gtest/gtest.h>

#include "cli/fake_controller_test_util.h"

namespace jobctl::cli {
namespace {

using std::chrono::milliseconds;

// A FILE* writing into memory.
class MemoryFile {
 public:
  MemoryFile() { file_ = open_memstream(&data_, &size_); }
  ~MemoryFile() {
    std::fclose(file_);
    std::free(data_);
  }
  FILE* get() { return file_; }
  std::string str() {
    std::fflush(file_);
    return std::string(data_, size_);
  }

 private:
  char* data_ = nullptr;
  size_t size_ = 0;
  FILE* file_ = nullptr;
};

std::vector<FakeRecord> SampleLog() {
  return {{1, 0, "epoch 1"},
          {1, 1, std::string("raw \xff\x00 bytes", 12)},
          {1, 0, ""},
          {2, 0, "retry start"},
          {2, 1, "done"}};
}

const std::string kPrefixed = std::string("[rank 0] epoch 1\n[rank 1] raw \xff\x00 bytes\n", 39) +
                              "[rank 0] \n[rank 0] retry start\n[rank 1] done\n";

TEST(LogStreamTest, ReadsWholeLogInBatchesWithPrefixes) {
  FakeController fake;
  fake.SetLog(SampleLog(), "SUCCEEDED", 2);
  ControllerClient client(fake.endpoint(), milliseconds(2000));
  MemoryFile out, err;
  LogStreamOptions options;
  options.job_id = "7";
  auto result = StreamLogs(client, options, out.get(), err.get());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(out.str(), kPrefixed);
  EXPECT_TRUE(result->complete);
  EXPECT_EQ(result->lines, 5u);
  EXPECT_EQ(result->next_index, 5u);
  EXPECT_EQ(err.str(), "");
}

TEST(LogStreamTest, NoPrefixWritesRawLines) {
  FakeController fake;
  fake.SetLog({{1, 3, "a"}, {1, 4, "b"}}, "RUNNING", 100);
  ControllerClient client(fake.endpoint(), milliseconds(2000));
  MemoryFile out, err;
  LogStreamOptions options;
  options.job_id = "7";
  options.prefix = false;
  auto result = StreamLogs(client, options, out.get(), err.get());
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(out.str(), "a\nb\n");
  EXPECT_FALSE(result->complete);
}

TEST(LogStreamTest, FollowSurvivesALostControllerWithoutLosingOrRepeatingLines) {
  FakeController fake;
  fake.SetLog(SampleLog(), "SUCCEEDED", 2);
  // The 2nd and 3rd requests go unanswered, as if the controller had died.
  fake.IgnoreRequests(2, 3);
  ControllerClient client(fake.endpoint(), milliseconds(200));
  MemoryFile out, err;
  LogStreamOptions options;
  options.job_id = "7";
  options.follow = true;
  options.wait_ms = 0;
  options.attempt_markers = true;
  options.retry_interval = milliseconds(10);
  auto result = StreamLogs(client, options, out.get(), err.get());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(out.str(), kPrefixed);
  EXPECT_TRUE(result->complete);
  std::string notices = err.str();
  EXPECT_NE(notices.find("lost the controller"), std::string::npos) << notices;
  EXPECT_EQ(notices.find("lost the controller"), notices.rfind("lost the controller"))
      << "one notice only: " << notices;
  EXPECT_NE(notices.find("--- attempt 2 ---"), std::string::npos) << notices;
  EXPECT_EQ(fake.answered_from(), (std::vector<uint64_t>{0, 2, 4}));
}

TEST(LogStreamTest, FollowGivesUpAfterReconnectTimeout) {
  FakeController fake;
  fake.SetLog(SampleLog(), "RUNNING", 2);
  fake.IgnoreRequests(1, 1'000'000);
  ControllerClient client(fake.endpoint(), milliseconds(50));
  MemoryFile out, err;
  LogStreamOptions options;
  options.job_id = "7";
  options.follow = true;
  options.wait_ms = 0;
  options.reconnect_timeout = milliseconds(300);
  options.retry_interval = milliseconds(10);
  auto result = StreamLogs(client, options, out.get(), err.get());
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(ControllerClient::IsUnreachable(result.status())) << result.status().ToString();
}

TEST(LogStreamTest, UnknownJobIsNotFound) {
  FakeController fake;
  ControllerClient client(fake.endpoint(), milliseconds(2000));
  MemoryFile out, err;
  LogStreamOptions options;
  options.job_id = "404";
  options.follow = true;
  auto result = StreamLogs(client, options, out.get(), err.get());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ReportError(result.status(), client.endpoint()), 2);
}

TEST(LogStreamTest, AppendLogLine) {
  std::string buf;
  protocol::LogRecord record{1, 12, 0, "hello"};
  AppendLogLine(buf, record, true);
  AppendLogLine(buf, record, false);
  EXPECT_EQ(buf, "[rank 12] hello\nhello\n");
}

}  // namespace
}  // namespace jobctl::cli
