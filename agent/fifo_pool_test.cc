#include "agent/fifo_pool.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace jobctl::agent {
namespace {

class FifoPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/fifo-pool-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static ino_t Inode(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
  }
  static bool IsFifo(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISFIFO(st.st_mode) && (st.st_mode & 0777) == 0666;
  }
  static size_t Entries(const std::string& dir) {
    size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n;
    return n;
  }

  std::string dir_;
};

TEST_F(FifoPoolTest, AReleasedFifoServesTheNextRank) {
  FifoPool pool(dir_ + "/pool");
  const std::string a = dir_ + "/a.fifo", b = dir_ + "/b.fifo";
  auto fd = pool.Acquire(a);
  ASSERT_TRUE(fd.ok()) << fd.status().ToString();
  EXPECT_TRUE(IsFifo(a));
  ino_t inode = Inode(a);
  pool.Release(a, *fd);
  EXPECT_FALSE(std::filesystem::exists(a));
  EXPECT_EQ(pool.idle(), 1u);

  auto again = pool.Acquire(b);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(IsFifo(b));
  EXPECT_EQ(Inode(b), inode);  // the same FIFO: no new inode
  EXPECT_EQ(pool.idle(), 0u);
  // It works as a fresh one: a writer's line reaches the descriptor.
  int w = ::open(b.c_str(), O_WRONLY | O_NONBLOCK);
  ASSERT_GE(w, 0);
  ASSERT_EQ(::write(w, "x 1\n", 4), 4);
  ::close(w);
  char buf[16];
  EXPECT_EQ(::read(*again, buf, sizeof buf), 4);
  pool.Release(b, *again);
}

TEST_F(FifoPoolTest, AFifoAnotherProcessStillHoldsIsDeletedNotReused) {
  FifoPool pool(dir_ + "/pool");
  const std::string a = dir_ + "/a.fifo";
  auto fd = pool.Acquire(a);
  ASSERT_TRUE(fd.ok());
  // A writer that outlived its rank keeps the FIFO open.
  int stale = ::open(a.c_str(), O_WRONLY | O_NONBLOCK);
  ASSERT_GE(stale, 0);
  pool.Release(a, *fd);
  EXPECT_FALSE(std::filesystem::exists(a));
  EXPECT_EQ(pool.idle(), 0u);
  EXPECT_EQ(Entries(dir_ + "/pool"), 0u);
  ::close(stale);
}

TEST_F(FifoPoolTest, UnreadDataKeepsAFifoOutOfThePool) {
  FifoPool pool(dir_ + "/pool");
  const std::string a = dir_ + "/a.fifo";
  auto fd = pool.Acquire(a);
  ASSERT_TRUE(fd.ok());
  ASSERT_EQ(::write(*fd, "left 1\n", 7), 7);  // not drained by the caller
  pool.Release(a, *fd);
  EXPECT_EQ(pool.idle(), 0u);
  EXPECT_FALSE(std::filesystem::exists(a));
}

TEST_F(FifoPoolTest, ThePoolIsBoundedAndEmptiedAtStartAndEnd) {
  const std::string pool_dir = dir_ + "/pool";
  {
    FifoPool pool(pool_dir, 2);
    std::vector<std::pair<std::string, int>> open;
    for (int i = 0; i < 3; ++i) {
      std::string p = dir_ + "/" + std::to_string(i) + ".fifo";
      auto fd = pool.Acquire(p);
      ASSERT_TRUE(fd.ok());
      open.emplace_back(p, *fd);
    }
    for (auto& [p, fd] : open) pool.Release(p, fd);
    EXPECT_EQ(pool.idle(), 2u);
    EXPECT_EQ(Entries(pool_dir), 2u);
    for (auto& [p, fd] : open) EXPECT_FALSE(std::filesystem::exists(p));
  }
  EXPECT_EQ(Entries(pool_dir), 0u);
  // What a killed agent left is deleted by the next one.
  ASSERT_EQ(::mkfifo((pool_dir + "/7.fifo").c_str(), 0600), 0);
  FifoPool pool(pool_dir);
  EXPECT_EQ(Entries(pool_dir), 0u);
  EXPECT_EQ(pool.idle(), 0u);
}

TEST_F(FifoPoolTest, AcquireReplacesALeftoverAtThePath) {
  FifoPool pool(dir_ + "/pool");
  const std::string a = dir_ + "/a.fifo", b = dir_ + "/b.fifo";
  auto fd = pool.Acquire(a);
  ASSERT_TRUE(fd.ok());
  pool.Release(a, *fd);
  ASSERT_EQ(::mkfifo(b.c_str(), 0600), 0);  // e.g. from before an agent restart
  auto again = pool.Acquire(b);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(IsFifo(b));
  pool.Release(b, *again);
}

TEST_F(FifoPoolTest, WithoutAUsableDirectoryFifosAreMadeAndDeleted) {
  ASSERT_TRUE(std::ofstream(dir_ + "/file").good());
  FifoPool pool(dir_ + "/file/pool");  // cannot be a directory
  const std::string a = dir_ + "/a.fifo";
  auto fd = pool.Acquire(a);
  ASSERT_TRUE(fd.ok());
  pool.Release(a, *fd);
  EXPECT_EQ(pool.idle(), 0u);
  EXPECT_FALSE(std::filesystem::exists(a));
}

}  // namespace
}  // namespace jobctl::agent
