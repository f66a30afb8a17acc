// A 2-node x 2-process job sees the rendezvous variables torchrun would set.
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>

#include "tests/e2e/local_cluster.h"

namespace jobctl::testing {
namespace {

constexpr char kSpec[] = R"(name: rendezvous
command: >-
  echo "RV rank=$RANK world=$WORLD_SIZE local=$LOCAL_RANK lws=$LOCAL_WORLD_SIZE
  node=$NODE_RANK group=$GROUP_RANK master=$MASTER_ADDR:$MASTER_PORT
  node_id=$JOBCTL_NODE_ID job=$JOBCTL_JOB_ID attempt=$JOBCTL_ATTEMPT";
  if [ "$RANK" = 0 ]; then
  python3 -c 'import os, socket; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((os.environ["MASTER_ADDR"], int(os.environ["MASTER_PORT"]))); print("BOUND")';
  fi
resources:
  instance_count: 2
distribution:
  type: pytorch
  process_count_per_instance: 2
)";

TEST(RendezvousTest, TwoNodesTwoProcessesAgree) {
  LocalCluster cluster;
  cluster.StartController();
  cluster.StartAgent("node-a");
  cluster.StartAgent("node-b");
  std::string id = cluster.Submit(kSpec);
  ASSERT_EQ(cluster.WaitForState(id, {"SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT"}),
            "SUCCEEDED")
      << cluster.GetJob(id).end_reason;
  auto logs = cluster.Jobctl({"logs", id});
  ASSERT_EQ(logs.exit_code, 0) << logs.err;

  std::regex re(
      R"(\[rank (\d)\] RV rank=(\d) world=(\d+) local=(\d) lws=(\d) node=(\d) group=(\d) )"
      R"(master=([0-9.]+):(\d+) node_id=(\S+) job=(\S+) attempt=(\d+))");
  std::set<int> ranks;
  std::set<std::string> masters;
  std::map<int, std::string> node_of_rank;
  int bound = 0;
  for (const auto& line : SplitLines(logs.out)) {
    if (line.find("BOUND") != std::string::npos) ++bound;
    std::smatch m;
    if (!std::regex_search(line, m, re)) continue;
    int prefix_rank = std::stoi(m[1]);
    int rank = std::stoi(m[2]);
    EXPECT_EQ(prefix_rank, rank);
    EXPECT_EQ(m[3], "4");
    EXPECT_EQ(std::stoi(m[4]), rank % 2) << line;
    EXPECT_EQ(m[5], "2");
    EXPECT_EQ(std::stoi(m[6]), rank / 2) << line;
    EXPECT_EQ(m[7], m[6]);
    EXPECT_EQ(m[11], id);
    EXPECT_EQ(m[12], "1");
    ranks.insert(rank);
    masters.insert(std::string(m[8]) + ":" + std::string(m[9]));
    node_of_rank[rank] = m[10];
  }
  EXPECT_EQ(ranks, (std::set<int>{0, 1, 2, 3})) << logs.out;
  ASSERT_EQ(masters.size(), 1u) << "ranks disagree on MASTER_ADDR:MASTER_PORT";
  // Ranks 0-1 share a node, 2-3 share the other.
  EXPECT_EQ(node_of_rank[0], node_of_rank[1]);
  EXPECT_EQ(node_of_rank[2], node_of_rank[3]);
  EXPECT_NE(node_of_rank[0], node_of_rank[2]);
  // MASTER_ADDR is rank 0's node's address, and the port was free there.
  std::string rank0_address;
  for (const auto& n : cluster.Nodes()) {
    if (n.id == node_of_rank[0]) rank0_address = n.address;
  }
  EXPECT_EQ(masters.begin()->substr(0, masters.begin()->find(':')), rank0_address);
  EXPECT_EQ(bound, 1) << "rank 0 could not bind MASTER_PORT on its node";
}

TEST(RendezvousTest, HelloDistributedExampleFollows) {
  LocalCluster cluster;
  cluster.StartController();
  cluster.StartAgent("local-1");
  cluster.StartAgent("local-2");
  auto r = cluster.Jobctl({"submit", std::string(JOBCTL_SOURCE_DIR) + "/jobs/hello-distributed.yaml",
                           "--follow"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::set<std::string> prefixes;
  for (const auto& line : SplitLines(r.out)) {
    if (line.rfind("[rank ", 0) == 0) prefixes.insert(line.substr(0, line.find(']') + 1));
  }
  EXPECT_EQ(prefixes, (std::set<std::string>{"[rank 0]", "[rank 1]", "[rank 2]", "[rank 3]"}))
      << r.out;
}

}  // namespace
}  // namespace jobctl::testing
