// Gang scheduling: a job larger than the free nodes waits, with a reason,
// without holding anything, while smaller jobs run.
#include <gtest/gtest.h>

#include "tests/e2e/local_cluster.h"

namespace jobctl::testing {
namespace {

const std::set<std::string> kTerminal = {"SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT"};

TEST(GangTest, BigJobWaitsSmallJobRunsThenBigRunsWhenNodeJoins) {
  LocalCluster cluster;
  cluster.StartController();
  cluster.StartAgent("node-a");
  cluster.StartAgent("node-b");
  std::string big = cluster.Submit("name: big\ncommand: echo big\nresources:\n  instance_count: 3\n");
  std::string small = cluster.Submit("name: small\ncommand: echo small\n");

  EXPECT_EQ(cluster.WaitForState(small, kTerminal), "SUCCEEDED");
  auto detail = cluster.GetJob(big);
  EXPECT_EQ(detail.summary.state, "QUEUED");
  EXPECT_NE(detail.pending_reason.find("3 nodes"), std::string::npos) << detail.pending_reason;
  auto show = cluster.Jobctl({"show", big});
  EXPECT_EQ(show.exit_code, 0);
  EXPECT_NE(show.out.find(detail.pending_reason), std::string::npos) << show.out;

  cluster.StartAgent("node-c");
  EXPECT_EQ(cluster.WaitForState(big, kTerminal), "SUCCEEDED") << cluster.GetJob(big).end_reason;
  EXPECT_EQ(cluster.GetJob(big).nodes.size(), 3u);
}

TEST(GangTest, GpuJobWaitsForNodesWithGpus) {
  LocalCluster cluster;
  cluster.StartController();
  cluster.StartAgent("cpu-only", {"--gpus", "0"});
  std::string gpu = cluster.Submit(
      "name: gpu\ncommand: echo $CUDA_VISIBLE_DEVICES\nresources:\n  gpus_per_node: 1\n");
  std::string cpu = cluster.Submit("name: cpu\ncommand: 'true'\n");
  EXPECT_EQ(cluster.WaitForState(cpu, kTerminal), "SUCCEEDED");
  auto detail = cluster.GetJob(gpu);
  EXPECT_EQ(detail.summary.state, "QUEUED");
  EXPECT_NE(detail.pending_reason.find("GPU"), std::string::npos) << detail.pending_reason;
  cluster.StartAgent("with-gpus", {"--gpus", "2"});
  EXPECT_EQ(cluster.WaitForState(gpu, kTerminal), "SUCCEEDED");
  auto logs = cluster.Jobctl({"logs", gpu, "--no-prefix"});
  EXPECT_TRUE(logs.out == "0\n" || logs.out == "1\n") << logs.out;
}

}  // namespace
}  // namespace jobctl::testing
