#include <unistd.h>

#include <filesystem>
#include <functional>
#include <memory>

#include <gtest/gtest.h>

#include "controller/memory_state_store.h"
#include "controller/sqlite_state_store.h"

namespace jobctl::controller {
namespace {

class StateStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ctl_store_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    if (GetParam() == "memory") {
      if (!store_) store_ = std::make_unique<MemoryStateStore>();
      return;
    }
    store_.reset();
    auto s = SqliteStateStore::Open((dir_ / "state.db").string());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
  }
  JobRecord Job(const std::string& id) {
    JobRecord r;
    r.id = id;
    r.spec.name = "job" + id;
    r.spec.command = "echo hi";
    r.spec.resources.instance_count = 2;
    r.created_ms = 1000;
    return r;
  }
  std::filesystem::path dir_;
  std::unique_ptr<StateStore> store_;
};

TEST_P(StateStoreTest, InsertCommitAndLoad) {
  ASSERT_TRUE(store_->InsertJob(Job("1"), {"", "QUEUED", 1, 1, "submitted"}).ok());
  ASSERT_TRUE(store_->InsertJob(Job("2"), {"", "QUEUED", 2, 1, "submitted"}).ok());
  ASSERT_TRUE(store_->Commit().ok());
  auto jobs = store_->LoadJobs();
  ASSERT_TRUE(jobs.ok());
  ASSERT_EQ(jobs->size(), 2u);
  EXPECT_EQ((*jobs)[1].spec.resources.instance_count, 2);
  EXPECT_EQ(*store_->LastJobId(), 2u);
}

TEST_P(StateStoreTest, RollbackDiscardsBatch) {
  ASSERT_TRUE(store_->InsertJob(Job("1"), {"", "QUEUED", 1, 1, ""}).ok());
  store_->Rollback();
  EXPECT_TRUE(store_->LoadJobs()->empty());
  EXPECT_EQ(*store_->LastJobId(), 0u);
}

TEST_P(StateStoreTest, TransitionsExitsAndReopen) {
  JobRecord job = Job("7");
  ASSERT_TRUE(store_->InsertJob(job, {"", "QUEUED", 1, 1, "submitted"}).ok());
  job.state = JobState::kFailed;
  job.end_reason = "rank 1 on node n2 exited with code 3";
  ASSERT_TRUE(store_->UpdateJob(job).ok());
  ASSERT_TRUE(store_->AddTransition("7", {"QUEUED", "PREPARING", 2, 1, "placed"}).ok());
  ASSERT_TRUE(store_->AddTransition("7", {"PREPARING", "FAILED", 3, 1, job.end_reason}).ok());
  ASSERT_TRUE(store_->AddRankExit({"7", 1, 1, "n2", 3, 0, 3}).ok());
  ASSERT_TRUE(store_->AddRankExit({"7", 1, 1, "n2", 3, 0, 4}).ok());  // duplicate ignored
  ASSERT_TRUE(store_->Commit().ok());
  Reopen();
  auto jobs = store_->LoadJobs();
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_EQ((*jobs)[0].state, JobState::kFailed);
  EXPECT_EQ((*jobs)[0].end_reason, job.end_reason);
  auto transitions = store_->LoadTransitions("7");
  ASSERT_EQ(transitions->size(), 3u);
  EXPECT_EQ((*transitions)[2].to, "FAILED");
  auto exits = store_->LoadRankExits("7", 1);
  ASSERT_EQ(exits->size(), 1u);
  EXPECT_EQ((*exits)[0].exit_code, 3);
  EXPECT_EQ(*store_->LastJobId(), 7u);
}

TEST_P(StateStoreTest, DuplicateIdIsRejectedAndLeavesNothing) {
  ASSERT_TRUE(store_->InsertJob(Job("1"), {"", "QUEUED", 1, 1, ""}).ok());
  EXPECT_FALSE(store_->InsertJob(Job("1"), {"", "QUEUED", 1, 1, ""}).ok());
  ASSERT_TRUE(store_->Commit().ok());
  EXPECT_EQ(store_->LoadJobs()->size(), 1u);
  EXPECT_EQ(store_->LoadTransitions("1")->size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Stores, StateStoreTest, ::testing::Values("memory", "sqlite"));

}  // namespace
}  // namespace jobctl::controller
