#include "agent/attempt_dir_pool.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "agent/dir_entries.h"

namespace jobctl::agent {
namespace {

namespace fs = std::filesystem;

class AttemptDirPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/attempt-dir-pool-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    fs::create_directories(dir_ + "/jobs");
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Attempt(const std::string& name) const { return dir_ + "/jobs/" + name; }
  static ino_t Inode(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
  }
  // The sorted names `dir` holds.
  static std::vector<std::string> Names(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename());
    std::sort(out.begin(), out.end());
    return out;
  }
  static void Touch(const std::string& path) { std::ofstream(path) << "x"; }

  std::string dir_;
};

TEST_F(AttemptDirPoolTest, WithAnEmptyPoolAcquireMakesTheDirectories) {
  AttemptDirPool pool(dir_ + "/pool");
  ASSERT_TRUE(pool.Acquire(Attempt("1-attempt-1"), {"outputs-rank-0", "outputs-rank-1"}).ok());
  EXPECT_EQ(Names(Attempt("1-attempt-1")),
            (std::vector<std::string>{"outputs-rank-0", "outputs-rank-1"}));
  EXPECT_EQ(pool.idle(), 0u);
  // Missing parents are made too (jobs/ before the first attempt).
  ASSERT_TRUE(pool.Acquire(dir_ + "/new/jobs/2-attempt-1", {"outputs-rank-0"}).ok());
  EXPECT_TRUE(fs::is_directory(dir_ + "/new/jobs/2-attempt-1/outputs-rank-0"));
}

TEST_F(AttemptDirPoolTest, AReleasedDirectoryServesTheNextAttemptWithoutNewInodes) {
  AttemptDirPool pool(dir_ + "/pool");
  const std::string a = Attempt("1-attempt-1"), b = Attempt("2-attempt-1");
  ASSERT_TRUE(pool.Acquire(a, {"outputs-rank-0"}).ok());
  ino_t top = Inode(a), sub = Inode(a + "/outputs-rank-0");
  ASSERT_TRUE(pool.Release(a));
  EXPECT_FALSE(fs::exists(a));
  EXPECT_EQ(pool.idle(), 1u);

  ASSERT_TRUE(pool.Acquire(b, {"outputs-rank-0"}).ok());
  EXPECT_EQ(pool.idle(), 0u);
  EXPECT_EQ(Names(b), std::vector<std::string>{"outputs-rank-0"});
  EXPECT_EQ(Inode(b), top);
  EXPECT_EQ(Inode(b + "/outputs-rank-0"), sub);
}

TEST_F(AttemptDirPoolTest, AcquireRenamesMakesAndRemovesSubdirectoriesToFit) {
  AttemptDirPool pool(dir_ + "/pool");
  const std::string a = Attempt("1-attempt-1");
  ASSERT_TRUE(pool.Acquire(a, {"outputs-rank-0", "outputs-rank-1", "outputs-rank-2"}).ok());
  ASSERT_TRUE(pool.Release(a));
  // Fewer, with other names.
  const std::string b = Attempt("2-attempt-1");
  ASSERT_TRUE(pool.Acquire(b, {"outputs-rank-1", "outputs-rank-7"}).ok());
  EXPECT_EQ(Names(b), (std::vector<std::string>{"outputs-rank-1", "outputs-rank-7"}));
  ASSERT_TRUE(pool.Release(b));
  // More.
  const std::string c = Attempt("3-attempt-1");
  ASSERT_TRUE(pool.Acquire(c, {"outputs-rank-4", "outputs-rank-5", "outputs-rank-6"}).ok());
  EXPECT_EQ(Names(c),
            (std::vector<std::string>{"outputs-rank-4", "outputs-rank-5", "outputs-rank-6"}));
}

TEST_F(AttemptDirPoolTest, ADirectoryHoldingAFileIsNeverTaken) {
  AttemptDirPool pool(dir_ + "/pool");
  const std::string a = Attempt("1-attempt-1");
  ASSERT_TRUE(pool.Acquire(a, {"outputs-rank-0"}).ok());
  Touch(a + "/outputs-rank-0/model.bin");
  EXPECT_FALSE(pool.Release(a));
  EXPECT_TRUE(fs::exists(a + "/outputs-rank-0/model.bin"));  // left where it was

  const std::string b = Attempt("2-attempt-1");
  ASSERT_TRUE(pool.Acquire(b, {"outputs-rank-0"}).ok());
  Touch(b + "/stray.txt");
  EXPECT_FALSE(pool.Release(b));

  const std::string c = Attempt("3-attempt-1");
  ASSERT_TRUE(pool.Acquire(c, {}).ok());
  fs::create_symlink("/tmp", c + "/link");
  EXPECT_FALSE(pool.Release(c));

  const std::string d = Attempt("4-attempt-1");
  ASSERT_TRUE(pool.Acquire(d, {"code"}).ok());
  fs::create_directories(d + "/code/src");  // a directory inside a subdirectory
  EXPECT_FALSE(pool.Release(d));
  EXPECT_EQ(pool.idle(), 0u);
  EXPECT_FALSE(pool.Release(Attempt("missing")));
}

TEST_F(AttemptDirPoolTest, AnAttemptDirectoryThatExistsKeepsWhatItHolds) {
  AttemptDirPool pool(dir_ + "/pool");
  ASSERT_TRUE(pool.Acquire(Attempt("1-attempt-1"), {"outputs-rank-0"}).ok());
  ASSERT_TRUE(pool.Release(Attempt("1-attempt-1")));
  const std::string a = Attempt("2-attempt-1");
  fs::create_directories(a);
  Touch(a + "/kept.txt");
  ASSERT_TRUE(pool.Acquire(a, {"outputs-rank-0"}).ok());
  EXPECT_EQ(Names(a), (std::vector<std::string>{"kept.txt", "outputs-rank-0"}));
  EXPECT_EQ(pool.idle(), 1u);  // the idle one was not used
}

TEST_F(AttemptDirPoolTest, ThePoolHasABoundAndCleansUpAfterItself) {
  const std::string pool_dir = dir_ + "/pool";
  fs::create_directories(pool_dir + "/leftover/outputs-rank-0");
  {
    AttemptDirPool pool(pool_dir, 1);
    EXPECT_TRUE(Names(pool_dir).empty());  // an earlier run's leftovers are gone
    ASSERT_TRUE(pool.Acquire(Attempt("1-attempt-1"), {}).ok());
    ASSERT_TRUE(pool.Acquire(Attempt("2-attempt-1"), {}).ok());
    EXPECT_TRUE(pool.Release(Attempt("1-attempt-1")));
    EXPECT_FALSE(pool.Release(Attempt("2-attempt-1")));  // full
    EXPECT_TRUE(fs::exists(Attempt("2-attempt-1")));
    EXPECT_EQ(Names(pool_dir).size(), 1u);
  }
  EXPECT_TRUE(Names(pool_dir).empty());  // the idle ones are deleted

  AttemptDirPool none(dir_ + "/none", 0);  // no pool at all
  ASSERT_TRUE(none.Acquire(Attempt("3-attempt-1"), {"outputs-rank-0"}).ok());
  EXPECT_FALSE(none.Release(Attempt("3-attempt-1")));
}

TEST(DirEntriesTest, ListsNamesAndKindsAndKnowsEmptiness) {
  char tmpl[] = "/tmp/dir-entries-test-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  EXPECT_EQ(DirIsEmpty(dir), std::optional<bool>(true));
  EXPECT_EQ(DirIsEmpty(dir + "/missing"), std::nullopt);
  fs::create_directories(dir + "/sub");
  std::ofstream(dir + "/file") << "x";
  EXPECT_EQ(DirIsEmpty(dir), std::optional<bool>(false));
  auto entries = ListDir(dir, 10);
  ASSERT_TRUE(entries.has_value());
  ASSERT_EQ(entries->size(), 2u);
  for (const auto& e : *entries) EXPECT_EQ(e.is_dir, e.name == "sub") << e.name;
  EXPECT_EQ(ListDir(dir, 1), std::nullopt);  // more than asked for
  EXPECT_EQ(ListDir(dir + "/missing", 10), std::nullopt);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace jobctl::agent
