// kill -9 of an agent mid-job: its ranks die with it (checked by pid), the
// node is LOST within the heartbeat timeout, the attempt fails naming the
// node, and with `retries` the job runs again on the other node, where a
// jobtrainer started with --resume continues from the last checkpoint the
// killed attempt wrote to the shared --checkpoint-dir instead of starting
// over. Prints the figures docs/reliability.md quotes:
//   ./build/tests/e2e_agent_kill_resume_test
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "tests/e2e/local_cluster.h"
#include "tests/e2e/process_check.h"

namespace jobctl::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const std::set<std::string> kTerminal = {"SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT"};

int64_t WallMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Live processes whose process group is `pgid` (a scan of /proc).
std::vector<int> GroupMembers(int pgid) {
  std::vector<int> pids;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
    std::string stat = ReadFile(entry.path().string() + "/stat");
    size_t paren = stat.rfind(')');
    if (paren == std::string::npos || paren + 2 >= stat.size()) continue;
    std::istringstream rest(stat.substr(paren + 2));
    char state = 0;
    long ppid = 0, pgrp = 0;
    rest >> state >> ppid >> pgrp;
    if (pgrp == pgid && state != 'Z') pids.push_back(std::stoi(name));
  }
  return pids;
}

// Waits (at most `limit`) until none of `pids` is alive; returns the ms it took, or -1.
int64_t MillisUntilGone(const std::vector<int>& pids, Clock::time_point since,
                        std::chrono::milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    bool any = std::any_of(pids.begin(), pids.end(), ProcessAlive);
    if (!any) {
      return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return -1;
}

// The highest N of the epoch-N.safetensors files in `dir` (0 if none).
int LatestCheckpointEpoch(const std::string& dir) {
  static const std::regex kName(R"(epoch-([0-9]{1,9})\.safetensors)");
  int best = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::smatch m;
    std::string name = entry.path().filename().string();
    if (std::regex_match(name, m, kName)) best = std::max(best, std::stoi(m[1].str()));
  }
  return best;
}

// A safetensors file's __metadata__ (empty when unreadable).
std::map<std::string, std::string> CheckpointMetadata(const std::string& path) {
  std::string bytes = ReadFile(path);
  if (bytes.size() < 8) return {};
  uint64_t length = 0;
  for (int i = 0; i < 8; ++i) {
    length |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[static_cast<size_t>(i)]))
              << (8 * i);
  }
  if (length > bytes.size() - 8) return {};
  auto header = nlohmann::json::parse(bytes.substr(8, length), nullptr, false);
  if (header.is_discarded() || !header.contains("__metadata__")) return {};
  return header["__metadata__"].get<std::map<std::string, std::string>>();
}

class AgentKillTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_.StartController();
    // The resume test looks at the final model in the attempt's directory.
    cluster_.StartAgent("node-a", {"--keep-attempt-dirs"});
    cluster_.StartAgent("node-b", {"--keep-attempt-dirs"});
    pid_dir_ = cluster_.dir() + "/pids";
    fs::create_directories(pid_dir_);
  }
  void TearDown() override {
    // Whatever survived a failed test does not outlive it.
    for (int pgid : shell_pids_) KillAll(GroupMembers(pgid));
  }
  // The pid of the rank's shell of `attempt` (its process group id), written
  // by the job's command; -1 after 30 s without it.
  int ShellPid(int attempt) {
    const std::string file = pid_dir_ + "/attempt-" + std::to_string(attempt);
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    while (Clock::now() < deadline) {
      std::string text = ReadFile(file);
      if (!text.empty() && text.back() == '\n') {
        shell_pids_.push_back(std::stoi(text));
        return shell_pids_.back();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
  }
  std::string RecordPid() const { return "echo $$ > " + pid_dir_ + "/attempt-$JOBCTL_ATTEMPT"; }

  LocalCluster cluster_{ClusterOptions{
      .heartbeat_timeout_ms = 1500, .agent_heartbeat_ms = 200, .grace_period_ms = 1000}};
  std::string pid_dir_;
  std::vector<int> shell_pids_;
};

// The ranks of a killed agent are separate process groups: without the
// agent's lifeline they ran on as orphans. Every process of the rank,
// background children included, is gone within a bound.
TEST_F(AgentKillTest, RanksDoNotOutliveTheirKilledAgent) {
  std::string id = cluster_.Submit("name: orphan-check\ncommand: " + RecordPid() +
                                   "; sleep 60 & sleep 60 & wait\n");
  ASSERT_EQ(cluster_.WaitForState(id, {"RUNNING"}), "RUNNING");
  int shell = ShellPid(1);
  ASSERT_GT(shell, 0);
  std::vector<int> members;
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (members.size() < 3 && Clock::now() < deadline) {
    members = GroupMembers(shell);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(members.size(), 3u) << "the shell and its two sleeps";
  auto nodes = cluster_.GetJob(id).nodes;
  ASSERT_EQ(nodes.size(), 1u);
  const auto killed = Clock::now();
  cluster_.KillAgent(nodes[0], SIGKILL);
  int64_t gone_ms = MillisUntilGone(members, killed, std::chrono::seconds(10));
  EXPECT_GE(gone_ms, 0) << "rank processes still alive 10 s after the agent's kill -9";
  std::printf("[figures] agent kill -9 -> its 3 rank processes gone: %lld ms\n",
              static_cast<long long>(gone_ms));
  EXPECT_TRUE(cluster_.WaitForNodeState(nodes[0], "LOST", std::chrono::seconds(10)));
  EXPECT_EQ(cluster_.WaitForState(id, kTerminal), "FAILED");
}

TEST_F(AgentKillTest, TrainerResumesFromItsCheckpointOnTheOtherNode) {
  const std::string data = std::string(JOBCTL_SOURCE_DIR) + "/../shared/data/digits/digits.csv.gz";
  if (!fs::exists(data)) GTEST_SKIP() << "the digits data set is not at " << data;
  // On one machine both agents see the same filesystem: an absolute folder
  // stands in for the shared path a real cluster would use.
  const std::string checkpoints = cluster_.dir() + "/shared/checkpoints";
  constexpr int kEpochs = 24;
  // About 0.1 s per epoch on one thread: the kill lands early in the run.
  std::string id =
      cluster_.Submit("name: resumable\nretries: 1\ncommand: >-\n  " + RecordPid() +
                      " && echo \"attempt $JOBCTL_ATTEMPT on $JOBCTL_NODE_ID\" &&\n"
                      "  " +
                      std::string(JOBTRAINER_PATH) + " --data csv:" + data +
                      " --train-split 1500 --shuffle-split 1\n"
                      "  --model mlp:64-256-256-10 --optimizer adam --lr 1e-3 --batch-size 16\n"
                      "  --epochs " +
                      std::to_string(kEpochs) +
                      " --threads 1 --outputs $JOBCTL_OUTPUTS_DIR\n"
                      "  --checkpoint-dir " +
                      checkpoints + "/$JOBCTL_JOB_ID --resume\n");
  ASSERT_EQ(cluster_.WaitForState(id, {"RUNNING", "FAILED"}), "RUNNING")
      << cluster_.GetJob(id).end_reason << "\n"
      << cluster_.Jobctl({"logs", id}).out;
  const std::string job_checkpoints = checkpoints + "/" + id;
  auto first_nodes = cluster_.GetJob(id).nodes;
  ASSERT_EQ(first_nodes.size(), 1u);
  const std::string lost_node = first_nodes[0];
  int shell = ShellPid(1);
  ASSERT_GT(shell, 0);

  // Kill once attempt 1 has checkpointed epoch 2 or later.
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  while (LatestCheckpointEpoch(job_checkpoints) < 2 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_GE(LatestCheckpointEpoch(job_checkpoints), 2) << cluster_.GetJob(id).end_reason;
  std::vector<int> members = GroupMembers(shell);
  ASSERT_GE(members.size(), 2u) << "the rank's shell and jobtrainer";
  const int64_t kill_wall_ms = WallMillis();
  const auto killed = Clock::now();
  cluster_.KillAgent(lost_node, SIGKILL);
  int64_t gone_ms = MillisUntilGone(members, killed, std::chrono::seconds(10));
  ASSERT_GE(gone_ms, 0) << "attempt 1's jobtrainer outlived its agent";
  const int resume_epoch = LatestCheckpointEpoch(job_checkpoints);
  ASSERT_LT(resume_epoch, kEpochs) << "attempt 1 finished before the kill";

  EXPECT_TRUE(cluster_.WaitForNodeState(lost_node, "LOST", std::chrono::seconds(10)));
  ASSERT_EQ(cluster_.WaitForState(id, kTerminal, std::chrono::seconds(120)), "SUCCEEDED")
      << cluster_.GetJob(id).end_reason;
  auto detail = cluster_.GetJob(id);
  EXPECT_EQ(detail.summary.attempt, 2);
  ASSERT_EQ(detail.nodes.size(), 1u);
  EXPECT_NE(detail.nodes[0], lost_node);

  // Attempt 1 failed, naming the lost node; attempt 2 ran.
  int64_t lost_ms = -1, running2_ms = -1;
  std::string transitions;
  for (const auto& t : detail.transitions) {
    transitions += "  " + t.from + " -> " + t.to + " (attempt " + std::to_string(t.attempt) +
                   "): " + t.reason + "\n";
    // Attempt 1's end is recorded as the retry's requeue: "attempt 1
    // failed: node N lost (...); retry 1 of 1".
    if (t.from == "RUNNING" && t.to == "QUEUED" && t.attempt == 2 && lost_ms < 0) {
      lost_ms = t.time_ms;
      EXPECT_NE(t.reason.find("attempt 1 failed: node " + lost_node + " lost"), std::string::npos)
          << t.reason;
    }
    if (t.attempt == 2 && t.to == "RUNNING" && running2_ms < 0) running2_ms = t.time_ms;
  }
  ASSERT_GE(lost_ms, 0) << "attempt 1 did not fail and requeue:\n" << transitions;
  ASSERT_GE(running2_ms, 0) << "attempt 2 never RUNNING:\n" << transitions;

  // Attempt 2 resumed from attempt 1's last checkpoint and trained only the rest.
  std::vector<std::string> lines = SplitLines(cluster_.Jobctl({"logs", id, "--no-prefix"}).out);
  static const std::regex kEpochLine(R"(^epoch (\d+)/(\d+) train_loss=.*)");
  int attempt = 0, attempt1_last = 0, attempt2_first = 0, attempt2_epochs = 0;
  std::string resume_line;
  for (const auto& line : lines) {
    if (line.rfind("attempt ", 0) == 0) attempt = std::stoi(line.substr(8));
    if (line.rfind("resume: ", 0) == 0 && attempt == 2) resume_line = line;
    std::smatch m;
    if (!std::regex_match(line, m, kEpochLine)) continue;
    int epoch = std::stoi(m[1].str());
    if (attempt == 1) attempt1_last = std::max(attempt1_last, epoch);
    if (attempt == 2) {
      if (attempt2_epochs++ == 0) attempt2_first = epoch;
    }
  }
  const std::string log_text = cluster_.Jobctl({"logs", id}).out;
  EXPECT_NE(
      resume_line.find("resume: epoch " + std::to_string(resume_epoch) + " from " +
                       job_checkpoints + "/epoch-" + std::to_string(resume_epoch) +
                       ".safetensors (written by job " + id + " attempt 1 node " + lost_node + " "),
      std::string::npos)
      << log_text;
  EXPECT_EQ(attempt2_first, resume_epoch + 1) << log_text;
  EXPECT_EQ(attempt2_epochs, kEpochs - resume_epoch) << log_text;
  EXPECT_LE(attempt1_last, resume_epoch) << log_text;
  // No stale writer: every checkpoint after the resume point is attempt 2's.
  for (int epoch = resume_epoch + 1; epoch <= kEpochs; ++epoch) {
    auto meta =
        CheckpointMetadata(job_checkpoints + "/epoch-" + std::to_string(epoch) + ".safetensors");
    EXPECT_NE(meta["writer"].find("attempt 2 node " + detail.nodes[0] + " "), std::string::npos)
        << "epoch " << epoch << ": " << meta["writer"];
  }
  // Epochs finished by attempt 1 (each is checkpointed before its line is
  // printed) plus those of attempt 2; the epoch in progress at the kill is
  // the only work done twice.
  const int attempt1_epochs = resume_epoch;
  const int total_epochs = attempt1_epochs + attempt2_epochs;
  EXPECT_LT(total_epochs, 2 * kEpochs);
  EXPECT_EQ(total_epochs, kEpochs);

  // The final model and metrics.
  EXPECT_TRUE(fs::exists(cluster_.dir() + "/agents/" + detail.nodes[0] + "/jobs/" + id +
                         "-attempt-2/outputs-rank-0/model.safetensors"));
  auto metrics = cluster_.Jobctl({"metrics", id, "-o", "csv"});
  ASSERT_EQ(metrics.exit_code, 0) << metrics.err;
  EXPECT_NE(metrics.out.find("val_accuracy,2,0," + std::to_string(kEpochs) + ","),
            std::string::npos)
      << metrics.out;

  std::printf(
      "[figures] kill -9 -> rank processes gone: %lld ms; kill -> node LOST (attempt 1 "
      "FAILED): %lld ms (heartbeat timeout 1500 ms); LOST -> attempt 2 RUNNING: %lld ms; "
      "resumed at epoch %d of %d; epochs redone: 0 (only the epoch in progress, %d, ran "
      "again); epochs trained in all: %d (%d + %d)\n",
      static_cast<long long>(gone_ms), static_cast<long long>(lost_ms - kill_wall_ms),
      static_cast<long long>(running2_ms - lost_ms), resume_epoch, kEpochs, resume_epoch + 1,
      total_epochs, attempt1_epochs, attempt2_epochs);
}

}  // namespace
}  // namespace jobctl::testing
