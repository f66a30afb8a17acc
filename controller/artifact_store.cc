#include "controller/artifact_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>

#include "controller/paths.h"

namespace jobctl::controller {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS outputs (
  job_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  node_rank INTEGER NOT NULL,
  num_nodes INTEGER NOT NULL,
  node_id TEXT NOT NULL,
  error TEXT NOT NULL,
  committed_ms INTEGER NOT NULL,
  PRIMARY KEY (job_id, attempt, node_rank));
CREATE TABLE IF NOT EXISTS output_files (
  job_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  path TEXT NOT NULL,
  node_rank INTEGER NOT NULL,
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  mode INTEGER NOT NULL,
  PRIMARY KEY (job_id, attempt, path));
)sql";

Status ErrnoError(const std::string& what) {
  int err = errno;
  std::string m = what + ": " + std::strerror(err);
  if (err == ENOSPC || err == EDQUOT) return ResourceExhaustedError(m);
  return UnavailableError(m);
}

Status SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("open " + dir);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return ErrnoError("fsync " + dir);
  return Status::Ok();
}

Status CheckSha(std::string_view sha256) {
  if (!digest::IsSha256Hex(sha256)) {
    return InvalidArgumentError("'" + std::string(sha256.substr(0, 80)) +
                                "' is not a sha256 (64 lowercase hex digits)");
  }
  return Status::Ok();
}

}  // namespace

Status ValidateOutputPath(std::string_view path) {
  if (path.empty()) return InvalidArgumentError("empty output path");
  if (path.front() == '/') {
    return InvalidArgumentError("output path '" + std::string(path) + "' is absolute");
  }
  if (path.find('\0') != std::string_view::npos) {
    return InvalidArgumentError("output path contains a NUL byte");
  }
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") {
      return InvalidArgumentError("output path '" + std::string(path) +
                                  "' has an empty, '.' or '..' component");
    }
    start = end + 1;
  }
  return Status::Ok();
}

Result<std::unique_ptr<ArtifactStore>> ArtifactStore::Open(std::string data_dir, const Clock* clock,
                                                           int64_t partial_idle_ms) {
  for (const std::string& dir :
       {paths::ArtifactsDir(data_dir), paths::BlobsDir(data_dir), paths::BlobTempDir(data_dir)}) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return UnavailableError("cannot create directory " + dir + ": " + ec.message());
  }
  // Partial blobs of an earlier run: their hash state is gone; start over.
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(paths::BlobTempDir(data_dir), ec)) {
    std::error_code rm;
    std::filesystem::remove(entry.path(), rm);
  }
  JOBCTL_ASSIGN_OR_RETURN(auto db, SqliteDb::Open(paths::ArtifactsDbPath(data_dir), kSchema));
  return std::unique_ptr<ArtifactStore>(
      new ArtifactStore(std::move(data_dir), clock, partial_idle_ms, std::move(db)));
}

ArtifactStore::ArtifactStore(std::string data_dir, const Clock* clock, int64_t partial_idle_ms,
                             std::unique_ptr<SqliteDb> db)
    : data_dir_(std::move(data_dir)),
      clock_(clock),
      partial_idle_ms_(partial_idle_ms),
      db_(std::move(db)) {}

ArtifactStore::~ArtifactStore() {
  std::vector<std::string> shas;
  for (const auto& [sha, p] : partials_) shas.push_back(sha);
  for (const auto& sha : shas) Discard(sha);
}

bool ArtifactStore::HasBlob(std::string_view sha256) const {
  if (!digest::IsSha256Hex(sha256)) return false;
  struct stat st;
  return ::stat(paths::BlobPath(data_dir_, sha256).c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

Result<std::vector<protocol::BlobWant>> ArtifactStore::Missing(
    const std::vector<protocol::BlobRef>& blobs) {
  std::vector<protocol::BlobWant> out;
  std::set<std::string> seen;
  for (const auto& b : blobs) {
    JOBCTL_RETURN_IF_ERROR(CheckSha(b.sha256));
    if (!seen.insert(b.sha256).second || HasBlob(b.sha256)) continue;
    auto it = partials_.find(b.sha256);
    int64_t offset = (it != partials_.end() && it->second.size == b.size) ? it->second.received : 0;
    out.push_back({b.sha256, offset});
  }
  return out;
}

void ArtifactStore::Discard(const std::string& sha256) {
  auto it = partials_.find(sha256);
  if (it == partials_.end()) return;
  if (it->second.fd >= 0) ::close(it->second.fd);
  ::unlink(paths::BlobTempPath(data_dir_, sha256).c_str());
  partials_.erase(it);
}

void ArtifactStore::DiscardIdle() {
  int64_t now = clock_->SteadyMillis();
  std::vector<std::string> idle;
  for (const auto& [sha, p] : partials_) {
    if (now - p.touched_ms > partial_idle_ms_) idle.push_back(sha);
  }
  for (const auto& sha : idle) Discard(sha);
}

Result<protocol::BlobChunkReply> ArtifactStore::PutChunk(const std::string& sha256, int64_t size,
                                                         int64_t offset, std::string_view data) {
  JOBCTL_RETURN_IF_ERROR(CheckSha(sha256));
  if (size < 0 || offset < 0 || offset + static_cast<int64_t>(data.size()) > size) {
    return InvalidArgumentError("blob_chunk: bytes " + std::to_string(offset) + "+" +
                                std::to_string(data.size()) + " do not fit a blob of " +
                                std::to_string(size) + " bytes");
  }
  if (static_cast<int64_t>(data.size()) > kMaxBlobChunkBytes) {
    return InvalidArgumentError("blob_chunk: a chunk may hold at most 8 MiB");
  }
  DiscardIdle();
  if (HasBlob(sha256)) return protocol::BlobChunkReply{size, true};
  auto it = partials_.find(sha256);
  if (it != partials_.end() && it->second.size != size) {
    Discard(sha256);  // a sender with another idea of the size: start over
    it = partials_.end();
  }
  if (it == partials_.end()) {
    if (offset != 0) return protocol::BlobChunkReply{0, false};
    std::string temp = paths::BlobTempPath(data_dir_, sha256);
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return ErrnoError("create " + temp);
    Partial p;
    p.fd = fd;
    p.size = size;
    it = partials_.emplace(sha256, std::move(p)).first;
  }
  Partial& p = it->second;
  p.touched_ms = clock_->SteadyMillis();
  if (offset != p.received) return protocol::BlobChunkReply{p.received, false};
  size_t written = 0;
  while (written < data.size()) {
    ssize_t n = ::write(p.fd, data.data() + written, data.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status s = ErrnoError("write " + paths::BlobTempPath(data_dir_, sha256));
      Discard(sha256);
      return s;
    }
    written += static_cast<size_t>(n);
  }
  p.hash.Update(data);
  p.received += static_cast<int64_t>(data.size());
  if (p.received < p.size) return protocol::BlobChunkReply{p.received, false};
  Status finished = FinishBlob(sha256, p);
  Discard(sha256);  // closes and unlinks what is left of the partial
  JOBCTL_RETURN_IF_ERROR(finished);
  return protocol::BlobChunkReply{size, true};
}

Status ArtifactStore::FinishBlob(const std::string& sha256, Partial& p) {
  std::string got = p.hash.FinishHex();
  if (got != sha256) {
    return InvalidArgumentError("blob " + sha256.substr(0, 12) + ": the received bytes hash to " +
                                got.substr(0, 12) + "; blob discarded");
  }
  std::string temp = paths::BlobTempPath(data_dir_, sha256);
  if (::fdatasync(p.fd) != 0) return ErrnoError("fdatasync " + temp);
  ::close(p.fd);
  p.fd = -1;
  std::string final_path = paths::BlobPath(data_dir_, sha256);
  std::string dir = std::filesystem::path(final_path).parent_path().string();
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return ErrnoError("mkdir " + dir);
  if (::rename(temp.c_str(), final_path.c_str()) != 0) return ErrnoError("rename to " + final_path);
  return SyncDir(dir);
}

Result<std::string> ArtifactStore::ReadBlob(const std::string& sha256, int64_t offset,
                                            int64_t length, int64_t* size) const {
  JOBCTL_RETURN_IF_ERROR(CheckSha(sha256));
  if (offset < 0 || length < 0) return InvalidArgumentError("read_blob: negative offset or length");
  length = std::min<int64_t>(length, kMaxBlobChunkBytes);
  std::string path = paths::BlobPath(data_dir_, sha256);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return NotFoundError("blob " + sha256 + " is not stored");
    return ErrnoError("open " + path);
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    Status s = ErrnoError("stat " + path);
    ::close(fd);
    return s;
  }
  *size = st.st_size;
  int64_t n = std::max<int64_t>(0, std::min<int64_t>(length, st.st_size - offset));
  std::string out(static_cast<size_t>(n), '\0');
  int64_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(fd, out.data() + done, static_cast<size_t>(n - done), offset + done);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      Status s = r < 0 ? ErrnoError("read " + path) : InternalError(path + " shrank");
      ::close(fd);
      return s;
    }
    done += r;
  }
  ::close(fd);
  return out;
}

Status ArtifactStore::CommitOutputs(const protocol::OutputsCommitRequest& c) {
  if (c.job_id.empty()) return InvalidArgumentError("outputs_commit: empty job_id");
  if (c.attempt <= 0 || c.node_rank < 0 || c.num_nodes <= 0 || c.node_rank >= c.num_nodes) {
    return InvalidArgumentError("outputs_commit: bad attempt, node_rank or num_nodes");
  }
  if (c.error.empty()) {
    std::set<std::string> paths_seen;
    for (const auto& f : c.files) {
      JOBCTL_RETURN_IF_ERROR(ValidateOutputPath(f.path));
      JOBCTL_RETURN_IF_ERROR(CheckSha(f.sha256));
      if (!paths_seen.insert(f.path).second) {
        return InvalidArgumentError("outputs_commit: path '" + f.path + "' listed twice");
      }
      struct stat st;
      if (::stat(paths::BlobPath(data_dir_, f.sha256).c_str(), &st) != 0) {
        return FailedPreconditionError("outputs_commit: blob of '" + f.path + "' (" +
                                       f.sha256.substr(0, 12) + ") is not stored");
      }
      if (st.st_size != f.size) {
        return InvalidArgumentError("outputs_commit: '" + f.path + "' is listed with " +
                                    std::to_string(f.size) + " bytes; its blob has " +
                                    std::to_string(st.st_size));
      }
    }
  }
  // A manifest that lists files is synced to disk with its blobs (FULL). One
  // that lists none (an attempt that wrote nothing, or a failure report)
  // gets the job state's durability (NORMAL: it survives a killed
  // controller, not a power loss) and costs no fsync, which a short job
  // would otherwise pay once per attempt.
  bool full = !c.files.empty();
  if (full != full_sync_) {
    JOBCTL_RETURN_IF_ERROR(
        db_->Exec(full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL"));
    full_sync_ = full;
  }
  SqliteTransaction tx(db_.get());
  JOBCTL_RETURN_IF_ERROR(tx.begun());
  {
    JOBCTL_ASSIGN_OR_RETURN(auto del, db_->Cached("DELETE FROM output_files WHERE job_id = ?1 "
                                                  "AND attempt = ?2 AND node_rank = ?3"));
    JOBCTL_RETURN_IF_ERROR(
        del->Bind(1, c.job_id).Bind(2, int64_t{c.attempt}).Bind(3, int64_t{c.node_rank}).Run());
    JOBCTL_ASSIGN_OR_RETURN(
        auto node, db_->Cached("INSERT OR REPLACE INTO outputs (job_id, attempt, node_rank, "
                               "num_nodes, node_id, error, committed_ms) VALUES "
                               "(?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
    JOBCTL_RETURN_IF_ERROR(node->Bind(1, c.job_id)
                               .Bind(2, int64_t{c.attempt})
                               .Bind(3, int64_t{c.node_rank})
                               .Bind(4, int64_t{c.num_nodes})
                               .Bind(5, c.node_id)
                               .Bind(6, c.error)
                               .Bind(7, clock_->NowMillis())
                               .Run());
    if (c.error.empty() && !c.files.empty()) {
      JOBCTL_ASSIGN_OR_RETURN(
          auto ins, db_->Cached("INSERT OR REPLACE INTO output_files (job_id, attempt, path, "
                                "node_rank, size, sha256, mode) VALUES "
                                "(?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
      for (const auto& f : c.files) {
        JOBCTL_RETURN_IF_ERROR(ins->Bind(1, c.job_id)
                                   .Bind(2, int64_t{c.attempt})
                                   .Bind(3, f.path)
                                   .Bind(4, int64_t{c.node_rank})
                                   .Bind(5, f.size)
                                   .Bind(6, f.sha256)
                                   .Bind(7, int64_t{f.mode})
                                   .Run());
      }
    }
  }
  return tx.Commit();
}

Result<AttemptOutputs> ArtifactStore::Outputs(const std::string& job_id, int attempt) {
  AttemptOutputs out;
  if (attempt <= 0) {
    JOBCTL_ASSIGN_OR_RETURN(auto q,
                            db_->Prepare("SELECT MAX(attempt) FROM outputs WHERE job_id = ?1"));
    q->Bind(1, job_id);
    JOBCTL_ASSIGN_OR_RETURN(bool row, q->Step());
    if (!row || q->Int(0) <= 0) return out;
    attempt = static_cast<int>(q->Int(0));
  }
  out.attempt = attempt;
  JOBCTL_ASSIGN_OR_RETURN(auto nodes,
                          db_->Prepare("SELECT node_rank, num_nodes, node_id, error, committed_ms "
                                       "FROM outputs WHERE job_id = ?1 AND attempt = ?2 "
                                       "ORDER BY node_rank"));
  nodes->Bind(1, job_id).Bind(2, int64_t{attempt});
  while (true) {
    JOBCTL_ASSIGN_OR_RETURN(bool row, nodes->Step());
    if (!row) break;
    out.nodes.push_back({static_cast<int>(nodes->Int(0)), static_cast<int>(nodes->Int(1)),
                         nodes->Text(2), nodes->Text(3), nodes->Int(4)});
  }
  JOBCTL_ASSIGN_OR_RETURN(auto files,
                          db_->Prepare("SELECT path, size, sha256, mode FROM output_files WHERE "
                                       "job_id = ?1 AND attempt = ?2 ORDER BY path"));
  files->Bind(1, job_id).Bind(2, int64_t{attempt});
  while (true) {
    JOBCTL_ASSIGN_OR_RETURN(bool row, files->Step());
    if (!row) break;
    out.files.push_back(protocol::OutputFile{files->Text(0), files->Int(1), files->Text(2),
                                             static_cast<uint32_t>(files->Int(3))});
  }
  return out;
}

}  // namespace jobctl::controller
