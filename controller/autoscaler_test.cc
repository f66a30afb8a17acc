#include "controller/autoscaler.h"

#include <gtest/gtest.h>

#include "controller/providers/fake_provider.h"

namespace jobctl::controller {
namespace {

class AutoscalerTest : public ::testing::Test {
 protected:
  // Pool "cpu" with a fake provider; returns the provider.
  FakeProvider* AddPool(int min_nodes, int max_nodes, int64_t idle_ms = 10000,
                        int64_t provision_ms = 60000) {
    PoolConfig pool;
    pool.name = "cpu";
    pool.min_nodes = min_nodes;
    pool.max_nodes = max_nodes;
    pool.idle_timeout_ms = idle_ms;
    pool.provision_timeout_ms = provision_ms;
    auto provider = std::make_unique<FakeProvider>("cpu");
    FakeProvider* raw = provider.get();
    scaler_.AddPool(pool, std::move(provider));
    return raw;
  }
  ScalerDecision Tick() { return scaler_.Tick(nodes_, jobs_); }
  // The nodes the provider created so far register (idle).
  void RegisterAll(const FakeProvider& p, int from = 1) {
    for (int i = from; i <= p.TotalCreated(); ++i) {
      nodes_.push_back(ScalerNode{"cpu-" + std::to_string(i), "cpu", true, 0});
    }
  }
  void Forget(const std::vector<std::string>& ids) {
    for (const auto& id : ids) {
      std::erase_if(nodes_, [&](const ScalerNode& n) { return n.id == id; });
    }
  }

  FakeClock clock_;
  Autoscaler scaler_{&clock_, 5000};
  std::vector<ScalerNode> nodes_;
  std::vector<ScalerJob> jobs_;
};

TEST_F(AutoscalerTest, StartsMinNodesAtOnce) {
  FakeProvider* p = AddPool(2, 5);
  Tick();
  EXPECT_EQ(p->creates, std::vector<int>{2});
  Tick();  // on their way: not asked again
  EXPECT_EQ(p->creates, std::vector<int>{2});
}

TEST_F(AutoscalerTest, ScalesUpToTheNeedAndMarksTheJobScaling) {
  FakeProvider* p = AddPool(0, 3);
  Tick();
  EXPECT_TRUE(p->creates.empty());
  jobs_.push_back(ScalerJob{"1", "cpu", 2, false});
  ScalerDecision d = Tick();
  EXPECT_EQ(p->creates, std::vector<int>{2});
  ASSERT_EQ(d.scaling.count("1"), 1u);
  EXPECT_NE(d.scaling["1"].find("pool cpu: 0 of 2 nodes ready"), std::string::npos)
      << d.scaling["1"];
  nodes_.push_back(ScalerNode{"cpu-1", "cpu", true, 0});
  d = Tick();
  EXPECT_NE(d.scaling["1"].find("pool cpu: 1 of 2 nodes ready"), std::string::npos)
      << d.scaling["1"];
  EXPECT_EQ(p->creates, std::vector<int>{2});  // de-duplicated while provisioning
}

TEST_F(AutoscalerTest, NeverBeyondMaxNodesCountingProvisioning) {
  FakeProvider* p = AddPool(0, 3);
  p->answer_at_once = false;  // names come later (a slow create script)
  jobs_.push_back(ScalerJob{"1", "cpu", 2, false});
  jobs_.push_back(ScalerJob{"2", "cpu", 2, false});
  Tick();
  Tick();
  p->Answer();
  Tick();
  jobs_.push_back(ScalerJob{"3", "cpu", 3, false});
  Tick();
  EXPECT_EQ(p->TotalCreated(), 3);
}

TEST_F(AutoscalerTest, JobsNamingNoPoolOrAnotherPoolDoNotScale) {
  FakeProvider* p = AddPool(0, 3);
  jobs_.push_back(ScalerJob{"1", "", 2, false});
  jobs_.push_back(ScalerJob{"2", "gpu", 1, false});
  ScalerDecision d = Tick();
  EXPECT_TRUE(p->creates.empty());
  EXPECT_TRUE(d.scaling.empty());
}

TEST_F(AutoscalerTest, BusyNodesAreNeverRemovedAndIdleOnesGoDownToMin) {
  FakeProvider* p = AddPool(1, 3, /*idle_ms=*/10000);
  jobs_.push_back(ScalerJob{"1", "cpu", 3, false});
  Tick();
  RegisterAll(*p);
  jobs_.clear();
  for (auto& n : nodes_) n.running_ranks = 1;  // the job runs on all three
  Tick();
  clock_.Advance(60000);
  ScalerDecision d = Tick();
  EXPECT_TRUE(d.removed_nodes.empty());
  EXPECT_TRUE(p->deletes.empty());
  // Ranks end on cpu-1 and cpu-2 first, cpu-3 later.
  nodes_[0].running_ranks = 0;
  nodes_[1].running_ranks = 0;
  Tick();
  clock_.Advance(5000);
  nodes_[2].running_ranks = 0;
  Tick();
  clock_.Advance(5000);  // cpu-1/2 idle 10 s, cpu-3 idle 5 s
  d = Tick();
  EXPECT_EQ(d.removed_nodes, (std::vector<std::string>{"cpu-1", "cpu-2"}));
  Forget(d.removed_nodes);
  clock_.Advance(60000);
  d = Tick();
  EXPECT_TRUE(d.removed_nodes.empty()) << "cpu-3 is the min_nodes node";
  EXPECT_EQ(p->deletes, (std::vector<std::string>{"cpu-1", "cpu-2"}));
  EXPECT_TRUE(scaler_.Refuses("cpu-1") == false) << "deleted at once by the fake";
}

TEST_F(AutoscalerTest, IdleTimeIsCountedFromTheLastRankSoShortJobsDoNotThrash) {
  FakeProvider* p = AddPool(0, 2, /*idle_ms=*/10000);
  jobs_.push_back(ScalerJob{"1", "cpu", 1, false});
  Tick();
  RegisterAll(*p);
  jobs_.clear();
  // A burst of short jobs, each 1 s of work and 8 s apart: never 10 s idle.
  for (int i = 0; i < 10; ++i) {
    nodes_[0].running_ranks = 1;
    Tick();
    clock_.Advance(1000);
    nodes_[0].running_ranks = 0;
    Tick();
    clock_.Advance(8000);
    EXPECT_TRUE(Tick().removed_nodes.empty()) << "round " << i;
  }
  clock_.Advance(2000);
  EXPECT_EQ(Tick().removed_nodes, std::vector<std::string>{"cpu-1"});
  EXPECT_EQ(p->creates, std::vector<int>{1});
}

TEST_F(AutoscalerTest, NoRemovalWhileJobsWaitForThePool) {
  FakeProvider* p = AddPool(0, 2, /*idle_ms=*/1000);
  jobs_.push_back(ScalerJob{"1", "cpu", 2, false});
  Tick();
  nodes_.push_back(ScalerNode{"cpu-1", "cpu", true, 0});
  clock_.Advance(5000);
  EXPECT_TRUE(Tick().removed_nodes.empty());
  EXPECT_TRUE(p->deletes.empty());
}

TEST_F(AutoscalerTest, NodeThatNeverRegistersIsGivenUpDeletedAndRetried) {
  FakeProvider* p = AddPool(0, 3, 10000, /*provision_ms=*/30000);
  jobs_.push_back(ScalerJob{"1", "cpu", 1, false});
  Tick();
  EXPECT_EQ(p->creates, std::vector<int>{1});
  clock_.Advance(29000);
  Tick();
  EXPECT_TRUE(p->deletes.empty());
  clock_.Advance(2000);
  ScalerDecision d = Tick();
  EXPECT_EQ(p->deletes, std::vector<std::string>{"cpu-1"});
  EXPECT_EQ(p->creates, (std::vector<int>{1, 1})) << "asked for again";
  ASSERT_EQ(d.scaling.count("1"), 1u);
  EXPECT_NE(d.scaling["1"].find("cpu-1 did not register within 30 s"), std::string::npos)
      << d.scaling["1"];
  auto pools = scaler_.Describe(nodes_, jobs_);
  ASSERT_EQ(pools.size(), 1u);
  bool reported = false;
  for (const auto& e : pools[0].events)
    reported |= e.find("cpu-1 did not register") != std::string::npos;
  EXPECT_TRUE(reported);
  // The retry registers: the job is no longer told about the problem.
  nodes_.push_back(ScalerNode{"cpu-2", "cpu", true, 0});
  d = Tick();
  EXPECT_TRUE(d.scaling.empty());
}

TEST_F(AutoscalerTest, FailedCreateBacksOffAndScalingJobGoesBackToQueued) {
  FakeProvider* p = AddPool(0, 3);
  p->fail_creates = true;
  jobs_.push_back(ScalerJob{"1", "cpu", 1, true});
  ScalerDecision d = Tick();
  EXPECT_EQ(p->creates.size(), 1u);
  ASSERT_EQ(d.queued.count("1"), 1u);
  EXPECT_NE(d.queued["1"].find("fake failure"), std::string::npos) << d.queued["1"];
  clock_.Advance(1000);
  Tick();
  EXPECT_EQ(p->creates.size(), 1u) << "backing off";
  clock_.Advance(5000);
  Tick();
  EXPECT_EQ(p->creates.size(), 2u);
}

TEST_F(AutoscalerTest, NodesThatJoinedOnTheirOwnCountButAreNeverRemoved) {
  FakeProvider* p = AddPool(0, 2, /*idle_ms=*/1000);
  nodes_.push_back(ScalerNode{"manual", "cpu", true, 0});
  jobs_.push_back(ScalerJob{"1", "cpu", 1, false});
  Tick();
  EXPECT_TRUE(p->creates.empty()) << "the idle manual node is enough";
  jobs_.clear();
  clock_.Advance(10000);
  EXPECT_TRUE(Tick().removed_nodes.empty());
}

TEST_F(AutoscalerTest, SubmitChecks) {
  AddPool(0, 3);
  EXPECT_TRUE(scaler_.CheckSubmit("j.yaml", "cpu", 3, {}).ok());
  EXPECT_TRUE(scaler_.CheckSubmit("j.yaml", "", 30, {}).ok());
  Status big = scaler_.CheckSubmit("j.yaml", "cpu", 4, {});
  EXPECT_EQ(big.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(big.message().find("max_nodes 3"), std::string::npos) << big.message();
  Status unknown = scaler_.CheckSubmit("j.yaml", "gpu", 1, {});
  EXPECT_EQ(unknown.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.message().find("j.yaml: compute: pool 'gpu' does not exist"), std::string::npos)
      << unknown.message();
  EXPECT_TRUE(scaler_.CheckSubmit("j.yaml", "gpu", 1, {"gpu"}).ok()) << "agents joined it";
}

TEST(AutoscalerNoPools, AcceptsAnyPool) {
  FakeClock clock;
  Autoscaler scaler(&clock);
  EXPECT_TRUE(scaler.CheckSubmit("j.yaml", "anything", 100, {}).ok());
}

}  // namespace
}  // namespace jobctl::controller
