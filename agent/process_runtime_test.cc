#include "agent/process_runtime.h"

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "agent/log_reader.h"
#include "agent/test_util.h"

namespace jobctl::agent {
namespace {

using testing::ProcessAlive;
using testing::ReadPid;
using testing::RunUntil;

class ProcessRuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/agent-rt-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Starts `command`, collecting stdout+stderr lines into out_.
  int Start(const std::string& command, std::vector<std::string> env = {"PATH=/usr/bin:/bin"}) {
    RankLaunch launch{command, dir_, std::move(env)};
    auto started = runtime_.Start(launch, [this](ExitInfo info) { exit_ = info; });
    EXPECT_TRUE(started.ok()) << started.status().ToString();
    auto sink = [this](const std::vector<std::string_view>& lines) {
      for (auto l : lines) out_.emplace_back(l);
    };
    auto eof = [this] { ++eofs_; };
    readers_.push_back(std::make_unique<LogReader>(io_, started->stdout_fd, sink, eof));
    readers_.push_back(std::make_unique<LogReader>(io_, started->stderr_fd, sink, eof));
    return started->id;
  }
  bool WaitDone() {
    return RunUntil(io_, [this] { return exit_.has_value() && eofs_ == 2; });
  }

  boost::asio::io_context io_;
  ProcessRuntime runtime_{io_};
  std::string dir_;
  std::optional<ExitInfo> exit_;
  std::vector<std::string> out_;
  int eofs_ = 0;
  std::vector<std::unique_ptr<LogReader>> readers_;
};

TEST_F(ProcessRuntimeTest, EnvironmentCwdAndExitCode) {
  Start("echo \"$FOO\"; pwd; echo oops >&2; exit 7", {"FOO=bar baz", "PATH=/usr/bin:/bin"});
  ASSERT_TRUE(WaitDone());
  EXPECT_EQ(exit_->exit_code, 7);
  EXPECT_EQ(exit_->signal, 0);
  ASSERT_EQ(out_.size(), 3u);
  EXPECT_NE(std::find(out_.begin(), out_.end(), "bar baz"), out_.end());
  EXPECT_NE(std::find(out_.begin(), out_.end(), std::filesystem::canonical(dir_).string()),
            out_.end());
  EXPECT_NE(std::find(out_.begin(), out_.end(), "oops"), out_.end());
}

TEST_F(ProcessRuntimeTest, SignalReachesTheWholeGroupIncludingGrandchildren) {
  int id = Start("sleep 1000 & echo $! > bg; echo $$ > pid; echo ready; wait");
  ASSERT_TRUE(RunUntil(io_, [this] { return !out_.empty(); }));
  pid_t bg = ReadPid(dir_ + "/bg");
  pid_t sh = ReadPid(dir_ + "/pid");
  ASSERT_GT(bg, 0);
  EXPECT_EQ(::getpgid(bg), sh);  // the rank's own process group
  EXPECT_NE(::getpgid(sh), ::getpgid(0));
  ASSERT_TRUE(runtime_.Signal(id, SIGTERM).ok());
  ASSERT_TRUE(WaitDone());
  EXPECT_EQ(exit_->signal, SIGTERM);
  EXPECT_TRUE(RunUntil(io_, [bg] { return !ProcessAlive(bg); }, std::chrono::seconds(5)));
  EXPECT_FALSE(testing::GroupAlive(sh));  // nothing of the group lives on
}

TEST_F(ProcessRuntimeTest, LeftoversAreKilledWhenTheRankExits) {
  // The shell exits 0 at once but leaves a background grandchild holding
  // the pipes: the runtime kills it, so the pipes close.
  Start("sleep 1000 & echo $! > bg; exit 0");
  ASSERT_TRUE(WaitDone());
  EXPECT_EQ(exit_->exit_code, 0);
  pid_t bg = ReadPid(dir_ + "/bg");
  EXPECT_TRUE(RunUntil(io_, [bg] { return !ProcessAlive(bg); }, std::chrono::seconds(5)));
}

TEST_F(ProcessRuntimeTest, MissingWorkingDirectoryFailsTheRank) {
  RankLaunch launch{"true", dir_ + "/missing", {}};
  auto started = runtime_.Start(launch, [this](ExitInfo info) { exit_ = info; });
  ASSERT_TRUE(started.ok());
  ::close(started->stdout_fd);
  ::close(started->stderr_fd);
  ASSERT_TRUE(RunUntil(io_, [this] { return exit_.has_value(); }));
  EXPECT_EQ(exit_->exit_code, 127);
}

}  // namespace
}  // namespace jobctl::agent
