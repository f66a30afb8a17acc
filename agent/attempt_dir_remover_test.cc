#include "agent/attempt_dir_remover.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace jobctl::agent {
namespace {

namespace fs = std::filesystem;

class AttemptDirRemoverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/attempt-dir-remover-XXXXXX";
    work_ = ::mkdtemp(tmpl);
    jobs_ = work_ + "/jobs";
    fs::create_directories(jobs_);
  }
  void TearDown() override { fs::remove_all(work_); }

  // A tree like an attempt's: code/ with subfolders, an outputs folder, files.
  std::string MakeTree(const std::string& name) {
    std::string dir = jobs_ + "/" + name;
    fs::create_directories(dir + "/code/pkg/sub");
    fs::create_directories(dir + "/outputs-rank-0/ckpt");
    std::ofstream(dir + "/code/train.py") << "print(1)\n";
    std::ofstream(dir + "/code/pkg/sub/mod.py") << "x = 1\n";
    std::ofstream(dir + "/outputs-rank-0/ckpt/model.bin") << std::string(100000, 'w');
    std::ofstream(dir + "/note.txt") << "x\n";
    return dir;
  }

  std::string work_;
  std::string jobs_;
};

TEST_F(AttemptDirRemoverTest, RemovesATreeWithFilesAndSubfolders) {
  std::string dir = MakeTree("job-1-attempt-1");
  std::string other = MakeTree("job-2-attempt-1");
  {
    AttemptDirRemover remover(jobs_);
    EXPECT_TRUE(remover.Remove(dir));
  }
  EXPECT_FALSE(fs::exists(dir));
  // Only what was asked for.
  EXPECT_TRUE(fs::exists(other + "/code/pkg/sub/mod.py"));
  EXPECT_TRUE(fs::is_directory(jobs_));
}

TEST_F(AttemptDirRemoverTest, AMissingPathIsFine) {
  std::string dir = MakeTree("job-1-attempt-1");
  {
    AttemptDirRemover remover(jobs_ + "/");
    EXPECT_TRUE(remover.Remove(jobs_ + "/no-such-attempt"));
    EXPECT_TRUE(remover.Remove(dir));
    EXPECT_TRUE(remover.Remove(dir));  // gone by the time this one runs
  }
  EXPECT_FALSE(fs::exists(dir));
  EXPECT_TRUE(fs::is_directory(jobs_));
}

TEST_F(AttemptDirRemoverTest, TheDestructorFinishesPendingRemovals) {
  std::vector<std::string> dirs;
  for (int i = 0; i < 20; ++i) dirs.push_back(MakeTree("job-" + std::to_string(i) + "-attempt-1"));
  {
    AttemptDirRemover remover(jobs_);
    for (const auto& d : dirs) ASSERT_TRUE(remover.Remove(d));
  }
  for (const auto& d : dirs) EXPECT_FALSE(fs::exists(d)) << d;
  EXPECT_TRUE(fs::is_empty(jobs_));
}

TEST_F(AttemptDirRemoverTest, RefusesPathsNotStrictlyInsideTheRoot) {
  std::string dir = MakeTree("job-1-attempt-1");
  std::ofstream(work_ + "/node-id") << "node-a\n";
  {
    AttemptDirRemover remover(jobs_);
    EXPECT_FALSE(remover.Remove(jobs_));
    EXPECT_FALSE(remover.Remove(jobs_ + "/"));
    EXPECT_FALSE(remover.Remove(jobs_ + "/."));
    EXPECT_FALSE(remover.Remove(work_));
    EXPECT_FALSE(remover.Remove(work_ + "/node-id"));
    EXPECT_FALSE(remover.Remove(jobs_ + "/../node-id"));
    EXPECT_FALSE(remover.Remove(jobs_ + "/job-1-attempt-1/../.."));
    EXPECT_FALSE(remover.Remove("jobs/job-1-attempt-1"));  // relative, root absolute
  }
  EXPECT_TRUE(fs::exists(dir + "/note.txt"));
  EXPECT_TRUE(fs::exists(work_ + "/node-id"));
}

}  // namespace
}  // namespace jobctl::agent
