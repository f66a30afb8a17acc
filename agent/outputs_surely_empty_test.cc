// OutputsSurelyEmpty: the quick check that lets an attempt's empty manifest
// ride with its last exit.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "agent/outputs_uploader.h"
#include "agent/paths.h"

namespace jobctl::agent {
namespace {

namespace fs = std::filesystem;

class OutputsSurelyEmptyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/outputs-empty-test-XXXXXX";
    job_.work_dir = ::mkdtemp(tmpl);
    job_.job_id = "7";
    job_.attempt = 1;
    job_.ranks = {0, 1};
    for (int r : job_.ranks) fs::create_directories(Dir(r));
  }
  void TearDown() override { fs::remove_all(job_.work_dir); }
  std::string Dir(int rank) const {
    return paths::RankOutputsDir(job_.work_dir, job_.job_id, job_.attempt, rank);
  }

  OutputsUploadJob job_;
};

TEST_F(OutputsSurelyEmptyTest, EmptyOrMissingFoldersAreEmpty) {
  EXPECT_TRUE(OutputsSurelyEmpty(job_));
  fs::remove(Dir(1));
  EXPECT_TRUE(OutputsSurelyEmpty(job_));  // the scan skips it too
}

TEST_F(OutputsSurelyEmptyTest, AnyEntryOfAnyRankLeavesItToTheScan) {
  std::ofstream(Dir(1) + "/model.bin") << "x";
  EXPECT_FALSE(OutputsSurelyEmpty(job_));
  fs::remove(Dir(1) + "/model.bin");
  fs::create_directory(Dir(0) + "/sub");  // no file, but the scan decides
  EXPECT_FALSE(OutputsSurelyEmpty(job_));
}

TEST_F(OutputsSurelyEmptyTest, ManyEntriesAreSeenPastTheFirstRead) {
  // More names than one 1 KiB read holds.
  for (int i = 0; i < 200; ++i) {
    std::ofstream(Dir(0) + "/file-with-a-long-name-" + std::to_string(i)) << i;
  }
  EXPECT_FALSE(OutputsSurelyEmpty(job_));
}

TEST_F(OutputsSurelyEmptyTest, AFileWhereTheFolderShouldBeIsNotEmpty) {
  fs::remove(Dir(0));
  std::ofstream(Dir(0)) << "not a folder";
  EXPECT_FALSE(OutputsSurelyEmpty(job_));
}

}  // namespace
}  // namespace jobctl::agent
