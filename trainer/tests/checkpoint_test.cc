// Checkpoint files under faults: a writer killed with SIGKILL mid-write never
// leaves a corrupt latest checkpoint, two writers of one path never mix their
// bytes, and a superseded run (CheckpointFence) publishes nothing.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <thread>
#include <vector>

#include "trainer/checkpoint/atomic_file.h"
#include "trainer/checkpoint/checkpoint_fence.h"
#include "trainer/checkpoint/safetensors.h"
#include "trainer/checkpoint/training_checkpoint.h"

namespace jobctl::trainer {
namespace {

namespace fs = std::filesystem;

class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/trainer-ckpt-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A 1 MiB tensor filled with `value`, with metadata epoch=value.
  Status WriteFilled(const std::string& path, float value,
                     const std::function<Status()>& before_commit = nullptr) {
    std::vector<float> data(1 << 18, value);
    return WriteSafetensors(path, {{"w", {static_cast<int64_t>(data.size())}, data.data()}},
                            {{"epoch", std::to_string(static_cast<int>(value))}}, before_commit);
  }

  // The file holds one tensor whose every element is the same; returns it,
  // or -1 when the file is unreadable or its elements differ.
  static float UniformValue(const std::string& path) {
    auto file = ReadSafetensors(path);
    if (!file.ok()) return -1;
    auto it = file->tensors.find("w");
    if (it == file->tensors.end() || it->second.data.size() != (1u << 18)) return -1;
    for (float v : it->second.data) {
      if (v != it->second.data[0]) return -1;
    }
    return it->second.data[0];
  }

  int CountTemporaries() const {
    int n = 0;
    for (const auto& e : fs::directory_iterator(dir_)) n += IsTemporaryName(e.path().filename());
    return n;
  }

  std::string dir_;
};

TEST_F(CheckpointTest, KilledWriterNeverLeavesACorruptLatestCheckpoint) {
  int epoch_base = 1;
  int leftovers = 0;
  for (int round = 0; round < 12; ++round) {
    const int first = epoch_base;
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      for (int epoch = first; epoch < first + 10000; ++epoch) {
        if (!WriteFilled(CheckpointPath(dir_, epoch), static_cast<float>(epoch)).ok()) _exit(3);
      }
      _exit(0);
    }
    // Let it publish at least one file of this round, then kill it at a
    // different point of its write each round.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (FindLatestCheckpointEpoch(dir_).value_or(0) < first &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    std::this_thread::sleep_for(std::chrono::microseconds(300 * (round % 7)));
    ::kill(child, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the writer ended before it was killed: " << status;

    std::optional<int> latest = FindLatestCheckpointEpoch(dir_);
    ASSERT_TRUE(latest.has_value());
    ASSERT_GE(*latest, first);
    EXPECT_EQ(UniformValue(CheckpointPath(dir_, *latest)), static_cast<float>(*latest))
        << "round " << round << ": epoch-" << *latest << " is corrupt";
    leftovers += CountTemporaries();
    RemoveTemporaryFiles(dir_);
    EXPECT_EQ(CountTemporaries(), 0);
    epoch_base = *latest + 1;
  }
  // Most kills land mid-write (the write is most of the loop): the
  // temporary files show the kills hit writes in progress.
  EXPECT_GT(leftovers, 0);
}

TEST_F(CheckpointTest, TwoWritersOfOnePathNeverMixTheirBytes) {
  const std::string path = dir_ + "/epoch-1.safetensors";
  ASSERT_TRUE(WriteFilled(path, 1.0f).ok());
  auto writer = [&](float value) {
    for (int i = 0; i < 30; ++i) EXPECT_TRUE(WriteFilled(path, value).ok());
  };
  std::thread a(writer, 1.0f);
  std::thread b(writer, 2.0f);
  int checks = 0;
  while (checks < 200) {
    float v = UniformValue(path);
    EXPECT_TRUE(v == 1.0f || v == 2.0f) << "mixed or partial file: " << v;
    ++checks;
  }
  a.join();
  b.join();
  float v = UniformValue(path);
  EXPECT_TRUE(v == 1.0f || v == 2.0f) << v;
  EXPECT_EQ(CountTemporaries(), 0);
}

TEST_F(CheckpointTest, FailedCommitCheckLeavesTheOldFile) {
  const std::string path = dir_ + "/model.safetensors";
  ASSERT_TRUE(WriteFilled(path, 1.0f).ok());
  Status s = WriteFilled(path, 2.0f, [] { return FailedPreconditionError("fenced"); });
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(UniformValue(path), 1.0f);
  EXPECT_EQ(CountTemporaries(), 0);
}

// The claim lands between an older writer's check and its rename: the
// rename fails (the claim removed its temporary file) and the error names
// the takeover, not the missing file.
TEST_F(CheckpointTest, ClaimBetweenCheckAndRenameIsReportedAsTheTakeover) {
  const std::string ckpt = dir_ + "/shared/job-8";
  auto first = CheckpointFence::Claim(ckpt, "job 8 attempt 1");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  std::optional<Result<CheckpointFence>> second;
  Status s = WriteFilled(CheckpointPath(ckpt, 1), 1.0f, [&] {
    Status before = first->Check();
    if (!second.has_value()) second.emplace(CheckpointFence::Claim(ckpt, "job 8 attempt 2"));
    return before;
  });
  ASSERT_TRUE(second.has_value() && second->ok());
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_NE(s.message().find("was taken over by \"job 8 attempt 2\""), std::string::npos)
      << s.message();
  EXPECT_FALSE(fs::exists(CheckpointPath(ckpt, 1)));
  EXPECT_EQ(CountTemporaries(), 0);
}

TEST_F(CheckpointTest, NewestClaimWinsAndTheSupersededRunPublishesNothing) {
  const std::string ckpt = dir_ + "/shared/job-7";
  auto first = CheckpointFence::Claim(ckpt, "job 7 attempt 1");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(first->Check().ok());
  ASSERT_TRUE(WriteFilled(CheckpointPath(ckpt, 1), 1.0f, [&] { return first->Check(); }).ok());
  // A killed writer's leftover.
  { std::ofstream(CheckpointPath(ckpt, 2) + ".tmp.host.1.0") << "partial"; }

  auto second = CheckpointFence::Claim(ckpt, "job 7 attempt 2");
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_FALSE(fs::exists(CheckpointPath(ckpt, 2) + ".tmp.host.1.0"));
  EXPECT_TRUE(second->Check().ok());
  Status stale = first->Check();
  EXPECT_EQ(stale.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(stale.message().find("job 7 attempt 2"), std::string::npos) << stale.message();

  Status s = WriteFilled(CheckpointPath(ckpt, 2), 2.0f, [&] { return first->Check(); });
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_FALSE(fs::exists(CheckpointPath(ckpt, 2)));
  EXPECT_EQ(FindLatestCheckpointEpoch(ckpt), 1);
  EXPECT_TRUE(WriteFilled(CheckpointPath(ckpt, 2), 2.0f, [&] { return second->Check(); }).ok());
  EXPECT_EQ(FindLatestCheckpointEpoch(ckpt), 2);
}

TEST_F(CheckpointTest, WriterIdNamesTheJobAttemptAndProcess) {
  ::setenv("JOBCTL_JOB_ID", "12", 1);
  ::setenv("JOBCTL_ATTEMPT", "2", 1);
  ::setenv("JOBCTL_NODE_ID", "node-b", 1);
  std::string id = CheckpointFence::ProcessWriterId();
  ::unsetenv("JOBCTL_JOB_ID");
  ::unsetenv("JOBCTL_ATTEMPT");
  ::unsetenv("JOBCTL_NODE_ID");
  EXPECT_EQ(id.rfind("job 12 attempt 2 node node-b host ", 0), 0u) << id;
  EXPECT_NE(id.find(" pid " + std::to_string(::getpid()) + " "), std::string::npos) << id;
  EXPECT_NE(CheckpointFence::ProcessWriterId(), CheckpointFence::ProcessWriterId());
}

}  // namespace
}  // namespace jobctl::trainer
