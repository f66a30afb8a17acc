// Checkpoints written in the background: the snapshot writes the same bytes
// as SaveCheckpoint, later changes to the model do not reach a snapshot
// taken before them, after_commit runs once the file is published, and a
// failed write is reported by the next call.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>

#include "trainer/checkpoint/async_checkpoint_writer.h"
#include "trainer/checkpoint/checkpoint_snapshot.h"
#include "trainer/model/model_spec.h"
#include "trainer/model/sequential.h"
#include "trainer/optimizers/optimizer.h"

namespace jobctl::trainer {
namespace {

namespace fs = std::filesystem;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

class AsyncCheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/trainer-async-ckpt-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    Result<ModelSpec> spec = ParseModelSpec("mlp:6-5-3");
    ASSERT_TRUE(spec.ok());
    Pcg32 dropout_rng(1, 2);
    auto model = Sequential::Build(*spec, {}, &dropout_rng);
    ASSERT_TRUE(model.ok());
    model_ = std::move(model).value();
    Pcg32 init(7, 1);
    model_->Initialize(&init);
    auto optimizer = CreateOptimizer(OptimizerConfig{}, model_->params().size());
    ASSERT_TRUE(optimizer.ok());
    optimizer_ = std::move(optimizer).value();
    Step();
  }
  void TearDown() override { fs::remove_all(dir_); }

  // One optimizer step with a made-up gradient: changes weights and state.
  void Step() {
    ParameterBuffer& p = model_->params();
    for (size_t i = 0; i < p.size(); ++i) p.grads()[i] = 0.01f * static_cast<float>(i % 7) - 0.03f;
    optimizer_->Step(p.values(), p.grads(), p.size());
  }

  std::string dir_;
  std::unique_ptr<Sequential> model_;
  std::unique_ptr<Optimizer> optimizer_;
};

TEST_F(AsyncCheckpointTest, SnapshotWritesTheSameBytesAsSaveCheckpoint) {
  const Metadata meta = {{"epoch", "3"}, {"model", "mlp:6-5-3"}};
  ASSERT_TRUE(SaveCheckpoint(dir_ + "/direct.safetensors", *model_, optimizer_.get(), meta).ok());
  CheckpointSnapshot snapshot;
  snapshot.Take(*model_, optimizer_.get(), meta);
  ASSERT_TRUE(WriteCheckpointSnapshot(dir_ + "/snapshot.safetensors", snapshot).ok());
  const std::string direct = ReadAll(dir_ + "/direct.safetensors");
  EXPECT_GT(direct.size(), 100u);
  EXPECT_EQ(direct, ReadAll(dir_ + "/snapshot.safetensors"));
}

TEST_F(AsyncCheckpointTest, WritesTheStateAtSnapshotTimeAndThenRunsAfterCommit) {
  const Metadata meta = {{"epoch", "1"}};
  ASSERT_TRUE(SaveCheckpoint(dir_ + "/expected.safetensors", *model_, optimizer_.get(), meta).ok());
  const std::string path = dir_ + "/epoch-1.safetensors";
  std::atomic<bool> published_before_callback{false};
  std::atomic<int> calls{0};
  {
    AsyncCheckpointWriter writer;
    ASSERT_TRUE(writer.Snapshot(*model_, optimizer_.get(), meta).ok());
    writer.Write(path, nullptr, [&] {
      published_before_callback = fs::exists(path);
      ++calls;
    });
    Step();  // the next epoch trains while the file is written
    ASSERT_TRUE(writer.Wait().ok());
    EXPECT_EQ(calls.load(), 1);
    EXPECT_TRUE(published_before_callback.load());
    // A second write after the first: the new state.
    ASSERT_TRUE(writer.Snapshot(*model_, optimizer_.get(), {{"epoch", "2"}}).ok());
    writer.Write(dir_ + "/epoch-2.safetensors", nullptr, [&] { ++calls; });
  }  // the destructor waits for it
  EXPECT_EQ(calls.load(), 2);
  EXPECT_EQ(ReadAll(path), ReadAll(dir_ + "/expected.safetensors"));
  ASSERT_TRUE(
      SaveCheckpoint(dir_ + "/now.safetensors", *model_, optimizer_.get(), {{"epoch", "2"}}).ok());
  EXPECT_EQ(ReadAll(dir_ + "/epoch-2.safetensors"), ReadAll(dir_ + "/now.safetensors"));
}

TEST_F(AsyncCheckpointTest, AFailedWriteIsReportedByTheNextCallAndSkipsAfterCommit) {
  AsyncCheckpointWriter writer;
  int calls = 0;
  ASSERT_TRUE(writer.Snapshot(*model_, optimizer_.get(), {{"epoch", "1"}}).ok());
  writer.Write(
      dir_ + "/epoch-1.safetensors", [] { return FailedPreconditionError("taken over"); },
      [&] { ++calls; });
  Status next = writer.Snapshot(*model_, optimizer_.get(), {{"epoch", "2"}});
  EXPECT_EQ(next.code(), StatusCode::kFailedPrecondition) << next.ToString();
  EXPECT_EQ(calls, 0);
  EXPECT_FALSE(fs::exists(dir_ + "/epoch-1.safetensors"));
  // Written to a folder that does not exist: Wait reports it.
  ASSERT_TRUE(writer.Snapshot(*model_, optimizer_.get(), {{"epoch", "2"}}).ok());
  writer.Write(dir_ + "/missing/epoch-2.safetensors", nullptr, [&] { ++calls; });
  EXPECT_FALSE(writer.Wait().ok());
  EXPECT_EQ(calls, 0);
  EXPECT_TRUE(writer.Wait().ok());  // nothing in flight any more
}

}  // namespace
}  // namespace jobctl::trainer
