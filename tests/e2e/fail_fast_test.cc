// Fail-fast and cancel: every rank on every node is stopped, grandchildren
// included, and the job's state says why.
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "tests/e2e/local_cluster.h"
#include "tests/e2e/process_check.h"

namespace jobctl::testing {
namespace {

const std::set<std::string> kTerminal = {"SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT"};

// Each rank records its shell's pid and a background grandchild's pid, then
// waits; rank `failing_rank` (if >= 0) exits 3 once every rank has started.
std::string Spec(const std::string& pid_dir, int failing_rank,
                 const std::string& failure = "exit 3") {
  return "name: fail-fast\n"
         "command: >-\n"
         "  echo $$ > " +
         pid_dir +
         "/sh-$RANK;\n"
         "  sleep 300 & echo $! > " +
         pid_dir +
         "/child-$RANK;\n"
         "  if [ \"$RANK\" = \"" +
         std::to_string(failing_rank) +
         "\" ]; then\n"
         "  while [ $(ls " +
         pid_dir +
         " | grep -c child) -lt 4 ]; do sleep 0.05; done;\n"
         "  " +
         failure +
         "; fi;\n"
         "  wait\n"
         "resources:\n  instance_count: 2\n"
         "distribution:\n  type: pytorch\n  process_count_per_instance: 2\n";
}

std::vector<std::string> PidFiles(const std::string& dir) {
  std::vector<std::string> files;
  for (int r = 0; r < 4; ++r) {
    files.push_back(dir + "/sh-" + std::to_string(r));
    files.push_back(dir + "/child-" + std::to_string(r));
  }
  return files;
}

bool AllGoneWithin(const std::vector<int>& pids, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    bool any = false;
    for (int pid : pids) any = any || ProcessAlive(pid);
    if (!any) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

class FailFastTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_.StartController();
    cluster_.StartAgent("node-a");
    cluster_.StartAgent("node-b");
    pid_dir_ = cluster_.dir() + "/pids";
    std::filesystem::create_directories(pid_dir_);
  }
  void TearDown() override { KillAll(ReadPids(PidFiles(pid_dir_))); }

  LocalCluster cluster_{ClusterOptions{
      .heartbeat_timeout_ms = 3000, .agent_heartbeat_ms = 200, .grace_period_ms = 1000}};
  std::string pid_dir_;
};

TEST_F(FailFastTest, OneRankExitingNonZeroStopsEveryRank) {
  std::string id = cluster_.Submit(Spec(pid_dir_, 1));
  ASSERT_EQ(cluster_.WaitForState(id, kTerminal), "FAILED");
  auto detail = cluster_.GetJob(id);
  EXPECT_NE(detail.end_reason.find("rank 1"), std::string::npos) << detail.end_reason;
  EXPECT_NE(detail.end_reason.find("code 3"), std::string::npos) << detail.end_reason;
  auto pids = ReadPids(PidFiles(pid_dir_));
  EXPECT_EQ(pids.size(), 8u);
  EXPECT_TRUE(AllGoneWithin(pids, std::chrono::seconds(2))) << "a process of the job survived";
  auto show = cluster_.Jobctl({"show", id});
  EXPECT_NE(show.out.find("rank 1"), std::string::npos) << show.out;
}

TEST_F(FailFastTest, CancelStopsEveryRank) {
  std::string id = cluster_.Submit(Spec(pid_dir_, -1));
  ASSERT_EQ(cluster_.WaitForState(id, {"RUNNING"}), "RUNNING");
  // Wait until all 4 ranks have recorded their pids.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (ReadPids(PidFiles(pid_dir_)).size() < 8 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto pids = ReadPids(PidFiles(pid_dir_));
  ASSERT_EQ(pids.size(), 8u);
  auto r = cluster_.Jobctl({"cancel", id});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(cluster_.WaitForState(id, kTerminal), "CANCELLED");
  EXPECT_TRUE(AllGoneWithin(pids, std::chrono::seconds(2))) << "a process of the job survived";
}

TEST_F(FailFastTest, OneRankKilledBySigkillStopsEveryRank) {
  // The failing rank's shell kills itself: no exit code, signal 9.
  std::string id = cluster_.Submit(Spec(pid_dir_, 2, "kill -9 $$"));
  ASSERT_EQ(cluster_.WaitForState(id, kTerminal), "FAILED");
  auto detail = cluster_.GetJob(id);
  EXPECT_NE(detail.end_reason.find("rank 2"), std::string::npos) << detail.end_reason;
  EXPECT_NE(detail.end_reason.find("9"), std::string::npos) << detail.end_reason;
  auto pids = ReadPids(PidFiles(pid_dir_));
  EXPECT_EQ(pids.size(), 8u);
  EXPECT_TRUE(AllGoneWithin(pids, std::chrono::seconds(2))) << "a process of the job survived";
}

}  // namespace
}  // namespace jobctl::testing
