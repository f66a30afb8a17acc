// A controller killed with queued and running jobs loses none of them; a lost
// agent fails its job's attempt, which retries on another node when allowed.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <thread>

#include "tests/e2e/local_cluster.h"
#include "tests/e2e/patience.h"
#include "tests/e2e/process_check.h"

namespace jobctl::testing {
namespace {

const std::set<std::string> kTerminal = {"SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT"};

TEST(RecoveryTest, ControllerRestartKeepsQueuedAndRunningJobs) {
  LocalCluster cluster(ClusterOptions{.heartbeat_timeout_ms = RestartHeartbeatTimeoutMs()});
  cluster.StartController();
  cluster.StartAgent("node-a");
  std::string running = cluster.Submit("name: long\ncommand: sleep 2; echo done\n");
  ASSERT_EQ(cluster.WaitForState(running, {"RUNNING"}), "RUNNING");
  // node-a is busy only for the running job's CPUs; queue jobs that cannot
  // run yet: 2-node jobs on a 1-node cluster.
  std::vector<std::string> queued;
  for (int i = 0; i < 20; ++i) {
    queued.push_back(cluster.Submit("name: q" + std::to_string(i) +
                                    "\ncommand: echo $RANK\nresources:\n  instance_count: 2\n"));
  }
  cluster.KillController(SIGKILL);
  cluster.StartController();
  cluster.StartAgent("node-b");
  EXPECT_EQ(cluster.WaitForState(running, kTerminal), "SUCCEEDED")
      << cluster.GetJob(running).end_reason;
  for (const auto& id : queued) {
    EXPECT_EQ(cluster.WaitForState(id, kTerminal), "SUCCEEDED") << "job " << id;
  }
  auto logs = cluster.Jobctl({"logs", running, "--no-prefix"});
  EXPECT_EQ(logs.out, "done\n");
}

// kill -9 of the controller with 1,000 queued jobs and one running: after
// `jobctld` starts again on the same data dir no job is lost, the running
// rank keeps running and its completion is recorded, and no log line that
// was readable (stored, hence acknowledged) before the kill is lost.
TEST(RecoveryTest, ControllerKilledWithAThousandQueuedJobsLosesNothing) {
  LocalCluster cluster(ClusterOptions{.heartbeat_timeout_ms = RestartHeartbeatTimeoutMs()});
  cluster.StartController();
  cluster.StartAgent("node-a");
  std::string running = cluster.Submit(
      "name: ticker\ncommand: for i in $(seq 1 400); do echo line-$i; sleep 0.01; done\n");
  ASSERT_EQ(cluster.WaitForState(running, {"RUNNING"}), "RUNNING");

  // 2-node jobs cannot run on one node: they stay queued.
  zmq::context_t context;
  RpcClient client(context, cluster.endpoint(), cluster.admin_credentials());
  std::vector<std::string> queued;
  for (int i = 0; i < 1000; ++i) {
    protocol::SubmitJobRequest request;
    request.spec.name = "q" + std::to_string(i);
    request.spec.command = "true";
    request.spec.resources.instance_count = 2;
    auto reply = client.Call<protocol::SubmitJobReply>(request, Patient(std::chrono::seconds(10)));
    ASSERT_TRUE(reply.ok()) << reply.status().ToString();
    queued.push_back(reply->job_id);
  }
  size_t lines_before = SplitLines(cluster.Jobctl({"logs", running, "--no-prefix"}).out).size();
  ASSERT_GT(lines_before, 0u);

  cluster.KillController(SIGKILL);
  cluster.StartController();
  EXPECT_EQ(cluster.WaitForState(running, kTerminal, Patient(std::chrono::seconds(60))),
            "SUCCEEDED")
      << cluster.GetJob(running).end_reason;
  std::vector<std::string> lines = SplitLines(cluster.Jobctl({"logs", running, "--no-prefix"}).out);
  ASSERT_EQ(lines.size(), 400u) << "stored before the kill: " << lines_before;
  for (size_t i = 0; i < lines.size(); ++i) ASSERT_EQ(lines[i], "line-" + std::to_string(i + 1));

  for (const auto& id : queued) {
    ASSERT_EQ(cluster.GetJob(id).summary.state, "QUEUED") << "job " << id;
  }
  // And they all run once a second node joins. They run one after the other
  // (each takes both nodes): the bound is on the whole queue, generous for a
  // sanitizer build on a loaded machine.
  cluster.StartAgent("node-b");
  auto drain_start = std::chrono::steady_clock::now();
  auto deadline = drain_start + Patient(std::chrono::seconds(240));
  for (const auto& id : queued) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    EXPECT_EQ(cluster.WaitForState(id, kTerminal, std::max(left, std::chrono::milliseconds(100))),
              "SUCCEEDED")
        << "job " << id;
  }
  std::cout << "[ figures  ] 1,000 queued jobs ran in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - drain_start)
                   .count()
            << " ms\n";
}

class LostAgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_.StartController();
    cluster_.StartAgent("node-a");
    cluster_.StartAgent("node-b");
    pid_dir_ = cluster_.dir() + "/pids";
    std::filesystem::create_directories(pid_dir_);
  }
  void TearDown() override {
    std::vector<std::string> files;
    for (const auto& e : std::filesystem::directory_iterator(pid_dir_)) {
      files.push_back(e.path().string());
    }
    KillAll(ReadPids(files));
  }
  // Kills (SIGKILL) the agent that runs `job_id` and returns its node id.
  std::string KillAgentOf(const std::string& job_id) {
    auto nodes = cluster_.GetJob(job_id).nodes;
    EXPECT_EQ(nodes.size(), 1u);
    if (nodes.empty()) return "";
    cluster_.KillAgent(nodes[0], SIGKILL);
    return nodes[0];
  }

  LocalCluster cluster_{ClusterOptions{
      .heartbeat_timeout_ms = 1500, .agent_heartbeat_ms = 200, .grace_period_ms = 1000}};
  std::string pid_dir_;
};

TEST_F(LostAgentTest, LostNodeFailsTheJob) {
  std::string id = cluster_.Submit("name: doomed\ncommand: echo $$ > " + pid_dir_ +
                                   "/$JOBCTL_ATTEMPT; sleep 60\n");
  ASSERT_EQ(cluster_.WaitForState(id, {"RUNNING"}), "RUNNING");
  std::string node = KillAgentOf(id);
  EXPECT_TRUE(cluster_.WaitForNodeState(node, "LOST", std::chrono::seconds(10)));
  EXPECT_EQ(cluster_.WaitForState(id, kTerminal), "FAILED");
  auto detail = cluster_.GetJob(id);
  EXPECT_NE(detail.end_reason.find("lost"), std::string::npos) << detail.end_reason;
}

TEST_F(LostAgentTest, LostNodeRetriesOnAnotherNode) {
  std::string id = cluster_.Submit(
      "name: retried\nretries: 1\ncommand: >-\n  echo $$ > " + pid_dir_ +
      "/$JOBCTL_ATTEMPT;\n  if [ \"$JOBCTL_ATTEMPT\" = 1 ]; then sleep 60; else echo second; fi\n");
  ASSERT_EQ(cluster_.WaitForState(id, {"RUNNING"}), "RUNNING");
  std::string node = KillAgentOf(id);
  EXPECT_EQ(cluster_.WaitForState(id, kTerminal), "SUCCEEDED");
  auto detail = cluster_.GetJob(id);
  EXPECT_EQ(detail.summary.attempt, 2);
  ASSERT_EQ(detail.nodes.size(), 1u);
  EXPECT_NE(detail.nodes[0], node);
  bool requeued = false;
  for (const auto& t : detail.transitions)
    requeued = requeued || (t.to == "QUEUED" && t.attempt == 2);
  EXPECT_TRUE(requeued);
}

}  // namespace
}  // namespace jobctl::testing
