#include "controller/artifact_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "controller/paths.h"

namespace jobctl::controller {
namespace {

class ArtifactStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/artifact_store_test_" + std::to_string(::getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    store_.reset();
    auto s = ArtifactStore::Open(dir_, &clock_, 1000);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
  }
  // Puts `data` in chunks of `chunk` bytes; returns the last reply.
  Result<protocol::BlobChunkReply> Put(const std::string& data, size_t chunk) {
    std::string sha = digest::Sha256Hex(data);
    Result<protocol::BlobChunkReply> last = protocol::BlobChunkReply{};
    size_t off = 0;
    do {
      size_t n = std::min(chunk, data.size() - off);
      last = store_->PutChunk(sha, static_cast<int64_t>(data.size()), static_cast<int64_t>(off),
                              std::string_view(data).substr(off, n));
      if (!last.ok()) return last;
      off += n;
    } while (off < data.size());
    return last;
  }
  std::string ReadAll(const std::string& sha) {
    std::string out;
    int64_t size = 0;
    while (true) {
      auto r = store_->ReadBlob(sha, static_cast<int64_t>(out.size()), 1000, &size);
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      if (!r.ok() || r->empty()) break;
      out += *r;
    }
    EXPECT_EQ(static_cast<int64_t>(out.size()), size);
    return out;
  }

  FakeClock clock_;
  std::string dir_;
  std::unique_ptr<ArtifactStore> store_;
};

TEST_F(ArtifactStoreTest, PutInChunksThenRead) {
  std::string data(10000, 'a');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 31);
  std::string sha = digest::Sha256Hex(data);
  EXPECT_FALSE(store_->HasBlob(sha));
  auto r = Put(data, 3000);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->stored);
  EXPECT_EQ(r->next_offset, 10000);
  EXPECT_TRUE(store_->HasBlob(sha));
  EXPECT_EQ(ReadAll(sha), data);
  EXPECT_EQ(store_->partial_count(), 0u);
  EXPECT_TRUE(std::filesystem::is_regular_file(paths::BlobPath(dir_, sha)));
}

TEST_F(ArtifactStoreTest, EmptyBlob) {
  auto r = Put("", 10);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->stored);
  EXPECT_TRUE(store_->HasBlob(digest::Sha256Hex("")));
}

TEST_F(ArtifactStoreTest, MissingListsOnlyAbsentBlobsOnceWithResumeOffset) {
  std::string a = "stored already", b(5000, 'b');
  ASSERT_TRUE(Put(a, 100).ok());
  std::string sha_b = digest::Sha256Hex(b);
  ASSERT_TRUE(store_->PutChunk(sha_b, 5000, 0, std::string_view(b).substr(0, 2000)).ok());
  auto missing = store_->Missing({{digest::Sha256Hex(a), 14}, {sha_b, 5000}, {sha_b, 5000}});
  ASSERT_TRUE(missing.ok());
  ASSERT_EQ(missing->size(), 1u);
  EXPECT_EQ((*missing)[0].sha256, sha_b);
  EXPECT_EQ((*missing)[0].offset, 2000);
  EXPECT_FALSE(store_->Missing({{"../../etc/passwd", 1}}).ok());
}

TEST_F(ArtifactStoreTest, DedupeStoredBlobAcceptsAnyChunkWithoutWriting) {
  std::string data(4000, 'd');
  ASSERT_TRUE(Put(data, 4000).ok());
  auto again =
      store_->PutChunk(digest::Sha256Hex(data), 4000, 0, std::string_view(data).substr(0, 10));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->stored);
  EXPECT_EQ(store_->partial_count(), 0u);
}

TEST_F(ArtifactStoreTest, CorruptChunkIsRefusedAndNothingStored) {
  std::string data(6000, 'x');
  std::string sha = digest::Sha256Hex(data);
  std::string bad = data;
  bad[4500] = 'y';
  ASSERT_TRUE(store_->PutChunk(sha, 6000, 0, std::string_view(bad).substr(0, 3000)).ok());
  auto last = store_->PutChunk(sha, 6000, 3000, std::string_view(bad).substr(3000));
  ASSERT_FALSE(last.ok());
  EXPECT_EQ(last.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(store_->HasBlob(sha));
  EXPECT_EQ(store_->partial_count(), 0u);
  EXPECT_TRUE(std::filesystem::is_empty(paths::BlobTempDir(dir_)));
  // A good upload afterwards works.
  auto good = Put(data, 2500);
  ASSERT_TRUE(good.ok());
  EXPECT_TRUE(good->stored);
}

TEST_F(ArtifactStoreTest, OutOfOrderChunkAsksToRewind) {
  std::string data(3000, 'o');
  std::string sha = digest::Sha256Hex(data);
  auto r = store_->PutChunk(sha, 3000, 1000, std::string_view(data).substr(1000, 1000));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->next_offset, 0);
  EXPECT_FALSE(r->stored);
  ASSERT_TRUE(store_->PutChunk(sha, 3000, 0, std::string_view(data).substr(0, 1000)).ok());
  r = store_->PutChunk(sha, 3000, 2000, std::string_view(data).substr(2000));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->next_offset, 1000);
  // A repeated chunk is not written twice.
  r = store_->PutChunk(sha, 3000, 0, std::string_view(data).substr(0, 1000));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->next_offset, 1000);
  EXPECT_FALSE(store_->PutChunk(sha, 3000, 2500, std::string_view(data).substr(0, 1000)).ok());
}

TEST_F(ArtifactStoreTest, RestartDiscardsPartialBlobs) {
  std::string data(3000, 'r');
  std::string sha = digest::Sha256Hex(data);
  ASSERT_TRUE(store_->PutChunk(sha, 3000, 0, std::string_view(data).substr(0, 1000)).ok());
  Reopen();
  EXPECT_TRUE(std::filesystem::is_empty(paths::BlobTempDir(dir_)));
  auto missing = store_->Missing({{sha, 3000}});
  ASSERT_TRUE(missing.ok());
  ASSERT_EQ(missing->size(), 1u);
  EXPECT_EQ((*missing)[0].offset, 0);
  auto r = store_->PutChunk(sha, 3000, 1000, std::string_view(data).substr(1000, 1000));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->next_offset, 0);
}

TEST_F(ArtifactStoreTest, IdlePartialIsDiscarded) {
  std::string data(3000, 'i');
  std::string sha = digest::Sha256Hex(data);
  ASSERT_TRUE(store_->PutChunk(sha, 3000, 0, std::string_view(data).substr(0, 1000)).ok());
  clock_.Advance(5000);
  auto r = store_->PutChunk(sha, 3000, 1000, std::string_view(data).substr(1000, 1000));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->next_offset, 0);
}

TEST_F(ArtifactStoreTest, CommitNeedsStoredBlobsAndValidPaths) {
  std::string data = "weights";
  ASSERT_TRUE(Put(data, 100).ok());
  protocol::OutputsCommitRequest c;
  c.node_id = "n1";
  c.job_id = "7";
  c.attempt = 1;
  c.files = {{"model.bin", 7, digest::Sha256Hex(data), 0644}};
  auto missing_blob = c;
  missing_blob.files.push_back({"other.bin", 3, digest::Sha256Hex("abc"), 0644});
  EXPECT_EQ(store_->CommitOutputs(missing_blob).code(), StatusCode::kFailedPrecondition);
  auto bad_path = c;
  bad_path.files[0].path = "../escape";
  EXPECT_EQ(store_->CommitOutputs(bad_path).code(), StatusCode::kInvalidArgument);
  auto bad_size = c;
  bad_size.files[0].size = 8;
  EXPECT_EQ(store_->CommitOutputs(bad_size).code(), StatusCode::kInvalidArgument);
  auto none = store_->Outputs("7", 0);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->attempt, 0);

  ASSERT_TRUE(store_->CommitOutputs(c).ok());
  auto out = store_->Outputs("7", 0);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->attempt, 1);
  ASSERT_EQ(out->nodes.size(), 1u);
  EXPECT_TRUE(out->nodes[0].error.empty());
  ASSERT_EQ(out->files.size(), 1u);
  EXPECT_EQ(out->files[0].path, "model.bin");
  // Survives reopening.
  Reopen();
  out = store_->Outputs("7", 1);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->files.size(), 1u);
}

TEST(OutputPathTest, Validation) {
  EXPECT_TRUE(ValidateOutputPath("a/b.txt").ok());
  EXPECT_TRUE(ValidateOutputPath("rank-1/x").ok());
  for (const char* bad : {"", "/abs", "a//b", "a/./b", "../x", "a/..", "a/"}) {
    EXPECT_FALSE(ValidateOutputPath(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace jobctl::controller
