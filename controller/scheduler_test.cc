#include "controller/scheduler.h"

#include <gtest/gtest.h>

namespace jobctl::controller {
namespace {

NodeCapacity Node(std::string id, std::string pool = "", int gpus = 0, double cpus = 8,
                  int64_t memory = int64_t{16} << 30) {
  NodeCapacity n;
  n.id = id;
  n.address = id + ".addr";
  n.pool = std::move(pool);
  for (int i = 0; i < gpus; ++i) n.free_gpus.push_back(i);
  n.free_cpus = cpus;
  n.free_memory_bytes = memory;
  return n;
}

JobRequest Job(std::string id, int nodes, int ppn = 1, uint64_t order = 0) {
  JobRequest j;
  j.job_id = std::move(id);
  j.nodes = nodes;
  j.processes_per_node = ppn;
  j.order = order;
  return j;
}

TEST(SchedulerTest, GangPlacesAllNodesWithRanksAndMaster) {
  Scheduler s({29500, 29999});
  auto r = s.Schedule({Job("1", 2, 2)}, {Node("a"), Node("b"), Node("c")});
  ASSERT_EQ(r.placements.size(), 1u);
  const auto& p = r.placements[0];
  ASSERT_EQ(p.nodes.size(), 2u);
  EXPECT_EQ(p.nodes[0].ranks, (std::vector<int>{0, 1}));
  EXPECT_EQ(p.nodes[1].ranks, (std::vector<int>{2, 3}));
  EXPECT_EQ(p.master_addr, p.nodes[0].address);
  EXPECT_EQ(p.master_port, 29500);
}

// A port a finished job freed is not handed out again at once (its
// connections may still be in TIME_WAIT): the search goes round the range.
TEST(SchedulerTest, MasterPortsGoRoundTheRange) {
  Scheduler s({29500, 29502});
  std::vector<int> ports;
  for (int i = 0; i < 4; ++i) {
    // Each pass sees a fresh node: the previous job has finished.
    auto r = s.Schedule({Job(std::to_string(i), 1)}, {Node("a")});
    ASSERT_EQ(r.placements.size(), 1u);
    ports.push_back(r.placements[0].master_port);
  }
  EXPECT_EQ(ports, (std::vector<int>{29500, 29501, 29502, 29500}));
  NodeCapacity busy = Node("a");
  busy.used_ports = {29501};
  auto r = s.Schedule({Job("5", 1)}, {busy});
  ASSERT_EQ(r.placements.size(), 1u);
  EXPECT_EQ(r.placements[0].master_port, 29502);  // 29501 is in use: skipped
}

TEST(SchedulerTest, NeverPartialGang) {
  Scheduler s({29500, 29999});
  auto r = s.Schedule({Job("1", 3)}, {Node("a"), Node("b")});
  EXPECT_TRUE(r.placements.empty());
  ASSERT_EQ(r.pending.count("1"), 1u);
  EXPECT_EQ(r.pending["1"], "needs 3 nodes (any pool); 2 such nodes free (2 ready nodes)");
}

TEST(SchedulerTest, PoolsAndGpusAndReason) {
  Scheduler s({29500, 29999});
  JobRequest j = Job("1", 3);
  j.pool = "cpu";
  j.gpus_per_node = 1;
  auto r = s.Schedule(
      {j}, {Node("a", "cpu", 1), Node("b", "cpu", 1), Node("c", "cpu", 0), Node("d", "gpu", 4)});
  EXPECT_TRUE(r.placements.empty());
  EXPECT_EQ(r.pending["1"],
            "needs 3 nodes in pool cpu with 1 free GPU each; 2 such nodes free (3 ready nodes in "
            "the pool)");
}

TEST(SchedulerTest, GpusSplitAmongLocalRanks) {
  Scheduler s({29500, 29999});
  JobRequest j = Job("1", 1, 2);
  j.gpus_per_node = 4;
  auto r = s.Schedule({j}, {Node("a", "", 8)});
  ASSERT_EQ(r.placements.size(), 1u);
  EXPECT_EQ(r.placements[0].nodes[0].rank_gpus, (std::vector<std::vector<int>>{{0, 1}, {2, 3}}));
  EXPECT_EQ(Scheduler::SplitGpus({5}, 2), (std::vector<std::vector<int>>{{5}, {5}}));
}

TEST(SchedulerTest, CpusAndMemoryAreConsumed) {
  Scheduler s({29500, 29999});
  JobRequest j1 = Job("1", 1, 1, 1), j2 = Job("2", 1, 1, 2), j3 = Job("3", 1, 1, 3);
  j1.cpus_per_node = j2.cpus_per_node = 5;
  j3.memory_per_node_bytes = int64_t{32} << 30;
  auto r = s.Schedule({j1, j2, j3}, {Node("a"), Node("b")});
  ASSERT_EQ(r.placements.size(), 2u);
  EXPECT_NE(r.placements[0].nodes[0].node_id, r.placements[1].nodes[0].node_id);
  EXPECT_EQ(r.pending.count("3"), 1u);
  EXPECT_NE(r.pending["3"].find("32.0 GiB memory"), std::string::npos);
}

TEST(SchedulerTest, PriorityThenAge) {
  Scheduler s({29500, 29999});
  JobRequest low = Job("1", 1, 1, 1), high = Job("2", 1, 1, 2), old = Job("3", 1, 1, 0);
  low.cpus_per_node = high.cpus_per_node = old.cpus_per_node = 8;
  high.priority = 5;
  auto r = s.Schedule({low, high, old}, {Node("a"), Node("b")});
  ASSERT_EQ(r.placements.size(), 2u);
  EXPECT_EQ(r.placements[0].job_id, "2");
  EXPECT_EQ(r.placements[1].job_id, "3");
  EXPECT_EQ(r.pending.count("1"), 1u);
}

TEST(SchedulerTest, BackfillSmallJobPastBigOne) {
  Scheduler s({29500, 29999});
  auto r = s.Schedule({Job("1", 5, 1, 1), Job("2", 1, 1, 2)}, {Node("a"), Node("b")});
  ASSERT_EQ(r.placements.size(), 1u);
  EXPECT_EQ(r.placements[0].job_id, "2");
  EXPECT_EQ(r.pending.count("1"), 1u);
}

TEST(SchedulerTest, NotReadyNodesAreSkipped) {
  Scheduler s({29500, 29999});
  NodeCapacity lost = Node("a");
  lost.ready = false;
  auto r = s.Schedule({Job("1", 1)}, {lost, Node("b")});
  ASSERT_EQ(r.placements.size(), 1u);
  EXPECT_EQ(r.placements[0].nodes[0].node_id, "b");
}

TEST(SchedulerTest, MasterPortAvoidsUsedPorts) {
  Scheduler s({29500, 29501});
  NodeCapacity a = Node("a");
  a.used_ports = {29500};
  auto r = s.Schedule({Job("1", 1, 1, 1), Job("2", 1, 1, 2)}, {a});
  ASSERT_EQ(r.placements.size(), 1u);
  EXPECT_EQ(r.placements[0].master_port, 29501);
  EXPECT_NE(r.pending["2"].find("no free rendezvous port"), std::string::npos);
}

}  // namespace
}  // namespace jobctl::controller
