// The controller's data dir fills up: submits are refused with a clear error,
// nothing already stored is damaged, and service resumes when space returns.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "tests/e2e/local_cluster.h"

namespace jobctl::testing {
namespace {

namespace fs = std::filesystem;

// A small tmpfs mounted over `path` for the test's lifetime (lazy unmount:
// the controller may still hold files open when it ends).
class SmallTmpfs {
 public:
  SmallTmpfs(const std::string& path, const std::string& size) : path_(path) {
    fs::create_directories(path);
    auto r = RunCommand({"mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", path});
    mounted_ = r.exit_code == 0;
    error_ = r.err;
  }
  ~SmallTmpfs() {
    if (mounted_) RunCommand({"umount", "-l", path_});
  }
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }
  bool Resize(const std::string& size) {
    return RunCommand({"mount", "-o", "remount,size=" + size, path_}).exit_code == 0;
  }

 private:
  std::string path_;
  bool mounted_ = false;
  std::string error_;
};

// A job whose code folder holds `bytes` of incompressible data, so every
// submit stores a distinct archive of about that size.
std::string SpecWithCode(const std::string& dir, int n, size_t bytes) {
  std::string code = dir + "/code-" + std::to_string(n);
  fs::create_directories(code);
  std::mt19937_64 rng(static_cast<uint64_t>(n) + 1);
  std::string data(bytes, '\0');
  for (auto& c : data) c = static_cast<char>(rng());
  std::ofstream(code + "/blob.bin", std::ios::binary) << data;
  return "name: fill-" + std::to_string(n) + "\ncommand: ls\ncode: ./code-" + std::to_string(n) +
         "\n";
}

size_t JobCount(LocalCluster& cluster) {
  auto r = cluster.Jobctl({"list", "-o", "json"});
  if (r.exit_code != 0) return 0;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  if (j.is_array()) return j.size();
  if (j.is_object() && j.contains("jobs")) return j["jobs"].size();
  return 0;
}

TEST(DiskFullTest, SubmitsAreRefusedUntilSpaceReturnsAndNothingStoredIsLost) {
  if (geteuid() != 0) GTEST_SKIP() << "mounting a tmpfs needs root";
  LocalCluster cluster;
  SmallTmpfs tmpfs(cluster.dir() + "/controller", "3m");
  if (!tmpfs.mounted()) GTEST_SKIP() << "cannot mount a tmpfs: " << tmpfs.error();
  cluster.StartController();

  std::vector<std::string> accepted;
  std::string refusal;
  for (int n = 0; n < 60 && refusal.empty(); ++n) {
    std::string path = cluster.dir() + "/spec-" + std::to_string(n) + ".yaml";
    std::ofstream(path) << SpecWithCode(cluster.dir(), n, 256 * 1024);
    auto r = cluster.Jobctl({"submit", path});
    if (r.exit_code == 0) {
      accepted.push_back(r.out);
    } else {
      refusal = r.err;
      EXPECT_NE(r.exit_code, 2) << "a full disk is not the user's bad input";
    }
  }
  ASSERT_FALSE(refusal.empty()) << "the 3 MiB data dir never filled up";
  ASSERT_GT(accepted.size(), 0u);
  // "No space left on device" (a file) or SQLite's "database or disk is full".
  EXPECT_TRUE(refusal.find("No space left") != std::string::npos ||
              refusal.find("disk is full") != std::string::npos)
      << refusal;

  // Still serving, and every acknowledged job is there.
  EXPECT_EQ(JobCount(cluster), accepted.size());
  // A second refusal is as clear as the first.
  std::string path = cluster.dir() + "/spec-again.yaml";
  std::ofstream(path) << SpecWithCode(cluster.dir(), 100, 256 * 1024);
  auto again = cluster.Jobctl({"submit", path});
  EXPECT_NE(again.exit_code, 0);

  ASSERT_TRUE(tmpfs.Resize("64m"));
  auto ok = cluster.Jobctl({"submit", path});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(JobCount(cluster), accepted.size() + 1);

  // What was stored survives a restart intact.
  cluster.KillController(SIGKILL);
  cluster.StartController();
  EXPECT_EQ(JobCount(cluster), accepted.size() + 1) << cluster.DaemonLog("jobctld");
}

}  // namespace
}  // namespace jobctl::testing
