// ArtifactStore: job outputs on the controller's disk.
//
// Blobs are files named by their SHA-256 (paths.h: artifacts/blobs/aa/<hex>),
// written once and never changed, so a file two jobs produced is stored
// once. A blob arrives in chunks, in order; the store appends each chunk to
// artifacts/tmp/<hex>.part while hashing it, and the chunk that completes the
// blob checks the digest (a mismatch discards the partial blob), syncs the
// file and renames it into place: a blob that exists is whole and checked.
// A partial blob lives only in memory and in tmp/; tmp/ is emptied when the
// store opens, so after a restart an interrupted upload starts that blob
// again (Missing() reports offset 0). Partial blobs idle for
// `partial_idle_ms` are discarded.
//
// Manifests (artifacts.db, SQLite): per (job, attempt, node rank) whether the
// node committed its outputs or reported an error, and the files (path,
// size, sha256, mode). A commit is accepted only when every file's blob is
// stored with the listed size.
//
// Thread-safety: not thread-safe; the server loop owns it.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/digest/sha256.h"
#include "common/protocol/messages.h"
#include "common/status.h"
#include "controller/sqlite_db.h"

namespace jobctl::controller {

inline constexpr int64_t kMaxBlobChunkBytes = 8 << 20;

// What one node reported for an attempt's outputs.
struct NodeOutputs {
  int node_rank = 0;
  int num_nodes = 1;
  std::string node_id;
  std::string error;  // empty: committed
  int64_t committed_ms = 0;
};

struct AttemptOutputs {
  int attempt = 0;  // 0: nothing recorded for the job
  std::vector<NodeOutputs> nodes;
  std::vector<protocol::OutputFile> files;  // sorted by path
};

// Checks an output path: relative, '/'-separated, no empty, "." or ".."
// component, no NUL. The message names the path.
Status ValidateOutputPath(std::string_view path);

class ArtifactStore {
 public:
  // Creates the layout under `data_dir`, empties tmp/, opens artifacts.db.
  static Result<std::unique_ptr<ArtifactStore>> Open(std::string data_dir, const Clock* clock,
                                                     int64_t partial_idle_ms = 600000);
  ~ArtifactStore();
  ArtifactStore(const ArtifactStore&) = delete;
  ArtifactStore& operator=(const ArtifactStore&) = delete;

  bool HasBlob(std::string_view sha256) const;
  // The blobs not stored, each once, with the bytes already received.
  Result<std::vector<protocol::BlobWant>> Missing(const std::vector<protocol::BlobRef>& blobs);
  // Appends a chunk (see the class comment). A chunk not at the received
  // position is not written: the reply's next_offset says where to resume.
  Result<protocol::BlobChunkReply> PutChunk(const std::string& sha256, int64_t size, int64_t offset,
                                            std::string_view data);
  // Up to `length` bytes from `offset`; `size` gets the blob's size.
  Result<std::string> ReadBlob(const std::string& sha256, int64_t offset, int64_t length,
                               int64_t* size) const;

  // Stores one node's manifest for an attempt (replacing an earlier one of
  // that node). With an empty `error`, every file must be a stored blob.
  Status CommitOutputs(const protocol::OutputsCommitRequest& commit);
  // The attempt's manifests; attempt 0: the latest attempt with any.
  Result<AttemptOutputs> Outputs(const std::string& job_id, int attempt);

  size_t partial_count() const { return partials_.size(); }

 private:
  struct Partial {
    int fd = -1;
    int64_t size = 0;
    int64_t received = 0;
    digest::Sha256Stream hash;
    int64_t touched_ms = 0;
  };

  ArtifactStore(std::string data_dir, const Clock* clock, int64_t partial_idle_ms,
                std::unique_ptr<SqliteDb> db);
  void Discard(const std::string& sha256);
  void DiscardIdle();
  Status FinishBlob(const std::string& sha256, Partial& partial);

  std::string data_dir_;
  const Clock* clock_;
  int64_t partial_idle_ms_;
  std::unique_ptr<SqliteDb> db_;
  // PRAGMA synchronous of db_ now: FULL (the default) for manifests that
  // list files, NORMAL for those that list none (see CommitOutputs).
  bool full_sync_ = true;
  std::map<std::string, Partial> partials_;
};

}  // namespace jobctl::controller
