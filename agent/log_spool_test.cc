#include "agent/log_spool.h"

#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/protocol/log_records.h"

namespace jobctl::agent {
namespace {

class LogSpoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/agent-spool-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string log() const { return dir_ + "/r.log"; }
  std::string ack() const { return dir_ + "/r.ack"; }

  static std::vector<std::string> Unpack(const std::string& packed) {
    auto lines = protocol::UnpackLines(packed);
    EXPECT_TRUE(lines.ok());
    return std::vector<std::string>(lines->begin(), lines->end());
  }
  static void AppendN(LogSpool& s, int from, int to) {
    std::vector<std::string> owned;
    for (int i = from; i < to; ++i) owned.push_back("line " + std::to_string(i));
    std::vector<std::string_view> views(owned.begin(), owned.end());
    ASSERT_TRUE(s.Append(views).ok());
  }

  std::string dir_;
};

TEST_F(LogSpoolTest, NumbersLinesAndReadsBatchesWithinMaxBytes) {
  auto s = LogSpool::Open(log(), ack());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  AppendN(**s, 0, 1000);
  EXPECT_EQ((*s)->next_seq(), 1000u);
  std::string packed;
  auto n = (*s)->Read(0, 100, &packed);
  ASSERT_TRUE(n.ok());
  EXPECT_GT(*n, 0u);
  EXPECT_LE(packed.size(), 100u);
  auto lines = Unpack(packed);
  ASSERT_EQ(lines.size(), *n);
  EXPECT_EQ(lines[0], "line 0");
  n = (*s)->Read(500, 1 << 20, &packed);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 500u);
  EXPECT_EQ(Unpack(packed).front(), "line 500");
  EXPECT_EQ(Unpack(packed).back(), "line 999");
}

TEST_F(LogSpoolTest, AckTrimsAndReadsBelowAckAreRefused) {
  auto s = LogSpool::Open(log(), ack());
  ASSERT_TRUE(s.ok());
  AppendN(**s, 0, 100);
  ASSERT_TRUE((*s)->Flush().ok());
  size_t before = (*s)->memory_bytes();
  ASSERT_TRUE((*s)->Ack(60).ok());
  EXPECT_EQ((*s)->acked_seq(), 60u);
  EXPECT_LT((*s)->memory_bytes(), before);
  std::string packed;
  EXPECT_FALSE((*s)->Read(10, 1 << 20, &packed).ok());
  auto n = (*s)->Read(60, 1 << 20, &packed);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 40u);
  EXPECT_EQ(Unpack(packed).front(), "line 60");
  // Acknowledgement never moves back.
  ASSERT_TRUE((*s)->Ack(30).ok());
  EXPECT_EQ((*s)->acked_seq(), 60u);
}

TEST_F(LogSpoolTest, ReopenResendsFromTheAckedSeq) {
  {
    auto s = LogSpool::Open(log(), ack());
    ASSERT_TRUE(s.ok());
    AppendN(**s, 0, 300);
    ASSERT_TRUE((*s)->Flush().ok());
    ASSERT_TRUE((*s)->Ack(123).ok());
  }
  auto s = LogSpool::Open(log(), ack());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ((*s)->next_seq(), 300u);
  EXPECT_EQ((*s)->acked_seq(), 123u);
  std::string packed;
  auto n = (*s)->Read((*s)->acked_seq(), 1 << 20, &packed);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 177u);
  EXPECT_EQ(Unpack(packed).front(), "line 123");
  // New lines continue the numbering.
  AppendN(**s, 300, 301);
  EXPECT_EQ((*s)->next_seq(), 301u);
  n = (*s)->Read(300, 1 << 20, &packed);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(Unpack(packed), std::vector<std::string>{"line 300"});
}

TEST_F(LogSpoolTest, MemoryIsBoundedAndOldLinesComeFromDisk) {
  auto s = LogSpool::Open(log(), ack(), /*memory_window=*/4096);
  ASSERT_TRUE(s.ok());
  for (int i = 0; i < 100; ++i) {
    AppendN(**s, i * 1000, (i + 1) * 1000);
    ASSERT_TRUE((*s)->Flush().ok());
  }
  EXPECT_LE((*s)->memory_bytes(), 4096u);
  uint64_t seq = 0;
  std::string packed;
  while (seq < (*s)->next_seq()) {
    auto n = (*s)->Read(seq, 64 * 1024, &packed);
    ASSERT_TRUE(n.ok());
    auto lines = Unpack(packed);
    for (size_t i = 0; i < lines.size(); ++i) {
      ASSERT_EQ(lines[i], "line " + std::to_string(seq + i));
    }
    seq += *n;
  }
  EXPECT_EQ(seq, 100000u);
}

TEST_F(LogSpoolTest, TornLastRecordIsCutOnReopen) {
  {
    auto s = LogSpool::Open(log(), ack());
    ASSERT_TRUE(s.ok());
    AppendN(**s, 0, 10);
  }
  ASSERT_EQ(::truncate(log().c_str(),
                       static_cast<off_t>(std::filesystem::file_size(log()) - 2)), 0);
  auto s = LogSpool::Open(log(), ack());
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)->next_seq(), 9u);
}

TEST_F(LogSpoolTest, CreatesItsFilesAndDirectoryOnlyWhenThereIsSomethingToKeep) {
  const std::string sub = dir_ + "/job/attempt-1";
  const std::string log_path = sub + "/rank-0.log";
  const std::string ack_path = sub + "/rank-0.ack";
  {
    auto s = LogSpool::Open(log_path, ack_path);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    EXPECT_TRUE((*s)->Flush().ok());
    EXPECT_FALSE(std::filesystem::exists(sub));  // a silent rank costs no file
    (*s)->Remove();
  }
  EXPECT_FALSE(std::filesystem::exists(sub));
  {
    auto s = LogSpool::Open(log_path, ack_path);
    ASSERT_TRUE(s.ok());
    AppendN(**s, 0, 10);
    ASSERT_TRUE((*s)->Flush().ok());
    EXPECT_TRUE(std::filesystem::exists(log_path));
    ASSERT_TRUE((*s)->Ack(4).ok());
    EXPECT_TRUE(std::filesystem::exists(ack_path));
  }
  // Reopened: the lines and the acknowledged position are recovered.
  auto s = LogSpool::Open(log_path, ack_path);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)->next_seq(), 10u);
  EXPECT_EQ((*s)->acked_seq(), 4u);
  std::string packed;
  auto n = (*s)->Read(4, 1 << 20, &packed);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 6u);
  EXPECT_EQ(Unpack(packed).front(), "line 4");
  (*s)->Remove();
  EXPECT_FALSE(std::filesystem::exists(log_path));
  EXPECT_FALSE(std::filesystem::exists(ack_path));
}

}  // namespace
}  // namespace jobctl::agent
