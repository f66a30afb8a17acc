#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "controller/memory_metric_store.h"
#include "controller/sqlite_metric_store.h"

namespace jobctl::controller {
namespace {

std::vector<protocol::MetricPoint> Points(const std::string& name, int64_t from, int n) {
  std::vector<protocol::MetricPoint> out;
  for (int i = 0; i < n; ++i)
    out.push_back({name, from + i, 0.5 * static_cast<double>(from + i), 1000 + i});
  return out;
}

class MetricStoreTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/metric-store-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    store_.reset();
    if (GetParam()) {
      auto s = SqliteMetricStore::Open(dir_ + "/metrics.db");
      ASSERT_TRUE(s.ok()) << s.status().ToString();
      store_ = std::move(*s);
    } else if (!memory_) {
      memory_ = std::make_unique<MemoryMetricStore>();
    }
  }
  MetricStore* store() { return GetParam() ? store_.get() : memory_.get(); }

  std::string dir_;
  std::unique_ptr<MetricStore> store_;
  std::unique_ptr<MemoryMetricStore> memory_;
};

TEST_P(MetricStoreTest, AppendsDeduplicatesAndRefusesGaps) {
  auto next = store()->Append("1", 1, 0, 0, Points("loss", 0, 10));
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, 10u);
  // A resend overlapping the stored points stores only the new ones.
  EXPECT_EQ(*store()->Append("1", 1, 0, 5, Points("loss", 5, 10)), 15u);
  // A gap stores nothing.
  EXPECT_EQ(*store()->Append("1", 1, 0, 20, Points("loss", 20, 3)), 15u);
  // Another rank has its own numbering.
  EXPECT_EQ(*store()->Append("1", 1, 1, 0, Points("acc", 0, 2)), 2u);
  ASSERT_TRUE(store()->Commit().ok());
  auto all = store()->Read("1", "");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 17u);
  EXPECT_EQ((*all)[0].name, "acc");
  EXPECT_EQ((*all)[0].rank, 1);
  auto loss = store()->Read("1", "loss");
  ASSERT_EQ(loss->size(), 15u);
  for (int i = 0; i < 15; ++i) {
    EXPECT_EQ((*loss)[static_cast<size_t>(i)].step, i);
    EXPECT_EQ((*loss)[static_cast<size_t>(i)].value, 0.5 * i);
  }
  EXPECT_TRUE(store()->Read("2", "")->empty());
}

TEST_P(MetricStoreTest, RollbackForgetsTheBatchAndCommitSurvivesReopen) {
  ASSERT_EQ(*store()->Append("7", 2, 0, 0, Points("loss", 0, 4)), 4u);
  ASSERT_TRUE(store()->Commit().ok());
  ASSERT_EQ(*store()->Append("7", 2, 0, 4, Points("loss", 4, 4)), 8u);
  store()->Rollback();
  EXPECT_EQ(store()->Read("7", "")->size(), 4u);
  // After the rollback the points are expected again.
  EXPECT_EQ(*store()->Append("7", 2, 0, 4, Points("loss", 4, 4)), 8u);
  ASSERT_TRUE(store()->Commit().ok());
  Reopen();
  EXPECT_EQ(store()->Read("7", "")->size(), 8u);
  EXPECT_EQ(*store()->Append("7", 2, 0, 0, Points("loss", 0, 8)), 8u);
}

TEST(SummarizeMetricsTest, LatestAttemptLowestRankHighestStep) {
  std::vector<protocol::MetricPointInfo> points = {
      {1, 0, "loss", 5, 9.0, 0}, {2, 0, "loss", 1, 2.0, 0}, {2, 0, "loss", 3, 1.0, 0},
      {2, 1, "loss", 9, 7.0, 0}, {1, 1, "acc", 2, 0.5, 0},
  };
  auto s = SummarizeMetrics("3", points);
  EXPECT_EQ(s.last.at("loss").value, 1.0);
  EXPECT_EQ(s.last.at("acc").value, 0.5);
}

INSTANTIATE_TEST_SUITE_P(Stores, MetricStoreTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Sqlite" : "Memory"; });

}  // namespace
}  // namespace jobctl::controller
