#include "agent/rank_lifeline.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "agent/child_process.h"
#include "agent/test_util.h"

namespace jobctl::agent {
namespace {

using testing::GroupAlive;
using testing::ProcessAlive;

// A rank-like process group: a shell with a background child, both sleeping.
pid_t StartGroup() {
  SpawnOptions options;
  options.argv = {"/bin/sh", "-c", "sleep 60 & sleep 60"};
  options.new_session = true;
  auto child = SpawnChild(options);
  EXPECT_TRUE(child.ok()) << child.status().ToString();
  return child.ok() ? child->pid : -1;
}

// Polls (10 ms, at most `limit`) until the group has no live process.
bool GroupGoneWithin(pid_t pgid, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (GroupAlive(pgid)) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

void Reap(pid_t pid) {
  ::kill(-pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

TEST(RankLifelineTest, RegisteredGroupsDieWhenTheAgentsEndCloses) {
  RankLifeline lifeline;
  pid_t a = StartGroup();
  pid_t b = StartGroup();
  ASSERT_TRUE(lifeline.Add(a).ok());
  ASSERT_TRUE(lifeline.Add(b).ok());
  pid_t helper = lifeline.helper_pid();
  ASSERT_TRUE(ProcessAlive(helper));
  EXPECT_TRUE(GroupAlive(a));
  lifeline.Close();  // what the kernel does when the agent dies
  EXPECT_TRUE(GroupGoneWithin(a, std::chrono::seconds(5)));
  EXPECT_TRUE(GroupGoneWithin(b, std::chrono::seconds(5)));
  EXPECT_FALSE(ProcessAlive(helper));
  Reap(a);
  Reap(b);
}

TEST(RankLifelineTest, RemovedGroupsAreLeftAlone) {
  RankLifeline lifeline;
  pid_t a = StartGroup();
  ASSERT_TRUE(lifeline.Add(a).ok());
  ASSERT_TRUE(lifeline.Remove(a).ok());
  lifeline.Close();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(GroupAlive(a));
  Reap(a);
}

TEST(RankLifelineTest, AKilledHelperIsReplacedAndKeepsEveryGroup) {
  RankLifeline lifeline;
  pid_t a = StartGroup();
  ASSERT_TRUE(lifeline.Add(a).ok());
  pid_t first = lifeline.helper_pid();
  ::kill(first, SIGKILL);
  // Its end of the socket is closed once it is dead (a zombie until reaped).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (ProcessAlive(first) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_TRUE(GroupAlive(a)) << "a killed helper must not kill the ranks";
  pid_t b = StartGroup();
  ASSERT_TRUE(lifeline.Add(b).ok());
  EXPECT_NE(lifeline.helper_pid(), first);
  lifeline.Close();
  EXPECT_TRUE(GroupGoneWithin(a, std::chrono::seconds(5)));
  EXPECT_TRUE(GroupGoneWithin(b, std::chrono::seconds(5)));
  Reap(a);
  Reap(b);
}

// The real thing: a process that holds a lifeline (as the agent does) is
// killed with SIGKILL; the group it registered dies with it.
TEST(RankLifelineTest, GroupsDieWithAProcessKilledBySigkill) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  pid_t agent = ::fork();
  ASSERT_GE(agent, 0);
  if (agent == 0) {
    ::close(pipe_fds[0]);
    RankLifeline lifeline;
    pid_t rank = StartGroup();
    if (rank <= 0 || !lifeline.Add(rank).ok()) _exit(3);
    ssize_t ignored = ::write(pipe_fds[1], &rank, sizeof(rank));
    (void)ignored;
    ::pause();
    _exit(0);
  }
  ::close(pipe_fds[1]);
  pid_t rank = -1;
  ASSERT_EQ(::read(pipe_fds[0], &rank, sizeof(rank)), static_cast<ssize_t>(sizeof(rank)));
  ::close(pipe_fds[0]);
  ASSERT_TRUE(GroupAlive(rank));
  ::kill(agent, SIGKILL);
  ::waitpid(agent, nullptr, 0);
  EXPECT_TRUE(GroupGoneWithin(rank, std::chrono::seconds(5)));
}

}  // namespace
}  // namespace jobctl::agent
