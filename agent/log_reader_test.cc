// LogReader: lines from a pipe, and the pipe's size.
#include "agent/log_reader.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "agent/test_util.h"

namespace jobctl::agent {
namespace {

class LogReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    read_fd_ = fds[0];
    write_fd_ = fds[1];
    ASSERT_EQ(::fcntl(read_fd_, F_SETFL, ::fcntl(read_fd_, F_GETFL) | O_NONBLOCK), 0);
  }
  void TearDown() override {
    if (write_fd_ >= 0) ::close(write_fd_);
  }
  void WriteAll(const std::string& data) {
    size_t done = 0;
    while (done < data.size()) {
      ssize_t n = ::write(write_fd_, data.data() + done, data.size() - done);
      ASSERT_GT(n, 0);
      done += static_cast<size_t>(n);
    }
  }
  void Start() {
    reader_ = std::make_unique<LogReader>(
        io_, read_fd_,
        [this](const std::vector<std::string_view>& lines) {
          for (auto l : lines) lines_.emplace_back(l);
        },
        [this] { eof_ = true; });
  }

  boost::asio::io_context io_;
  int read_fd_ = -1, write_fd_ = -1;
  std::unique_ptr<LogReader> reader_;
  std::vector<std::string> lines_;
  bool eof_ = false;
};

TEST_F(LogReaderTest, APipeThatFillsUpGrowsTo1MiB) {
  if (::fcntl(write_fd_, F_GETPIPE_SZ) != 64 << 10) {
    GTEST_SKIP() << "pipes here do not start at 64 KiB (fs.pipe-user-pages-soft reached?)";
  }
  // A full default pipe: 64 KiB of 100-byte lines (and 36 more bytes).
  std::string line(99, 'x');
  std::string data;
  for (int i = 0; i < 655; ++i) data += line + "\n";
  data += std::string(35, 'y') + "\n";
  ASSERT_EQ(data.size(), 64u << 10);
  WriteAll(data);
  Start();
  ASSERT_TRUE(testing::RunUntil(io_, [this] { return lines_.size() == 656; }));
  EXPECT_EQ(::fcntl(write_fd_, F_GETPIPE_SZ), 1 << 20);
  ::close(write_fd_);
  write_fd_ = -1;
  ASSERT_TRUE(testing::RunUntil(io_, [this] { return eof_; }));
  EXPECT_EQ(lines_.back(), std::string(35, 'y'));
}

TEST_F(LogReaderTest, APipeThatNeverFillsKeepsItsDefaultSize) {
  WriteAll("one\ntwo\n");
  Start();
  int before = ::fcntl(write_fd_, F_GETPIPE_SZ);
  ASSERT_TRUE(testing::RunUntil(io_, [this] { return lines_.size() == 2; }));
  EXPECT_EQ(::fcntl(write_fd_, F_GETPIPE_SZ), before);
  EXPECT_LT(before, 1 << 20);
  ::close(write_fd_);
  write_fd_ = -1;
  ASSERT_TRUE(testing::RunUntil(io_, [this] { return eof_; }));
  EXPECT_EQ(lines_, (std::vector<std::string>{"one", "two"}));
}

}  // namespace
}  // namespace jobctl::agent
