// LogStore: each job's log is one append-only file of log_records.h records
// (every rank, every attempt, in the order they were stored), numbered 0, 1,
// 2, ... An in-memory index (record number -> file offset and rank, and the
// next expected seq of each (attempt, rank)) is rebuilt by scanning the files
// when the store opens; a torn record at a file's tail (a crash during
// write()) is truncated away.
//
// Durability: Append returns after write() returned, so a killed controller
// loses nothing acknowledged (the page cache survives); there is no fsync per
// batch.
//
// Thread-safety: not thread-safe; one thread owns the store.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/status.h"

namespace jobctl::controller {

class LogStore {
 public:
  // Opens the store in `logs_dir` (which must exist) and indexes its files.
  static Result<std::unique_ptr<LogStore>> Open(const std::string& logs_dir);
  ~LogStore();
  LogStore(const LogStore&) = delete;
  LogStore& operator=(const LogStore&) = delete;

  // Stores lines first_seq, first_seq+1, ... of (job, attempt, rank) and
  // returns the next expected seq. Lines below it are dropped (duplicates);
  // a batch that starts beyond it (a gap) stores nothing and returns it, so
  // the sender resumes there.
  Result<uint64_t> Append(const std::string& job_id, uint32_t attempt, uint32_t rank,
                          uint64_t first_seq, const std::vector<std::string_view>& lines);

  uint64_t NextSeq(const std::string& job_id, uint32_t attempt, uint32_t rank) const;
  // Number of records stored for the job.
  uint64_t RecordCount(const std::string& job_id) const;

  struct ReadResult {
    std::string records;  // PackLogRecords (AppendRecord) format
    uint64_t count = 0;   // records in `records`
    uint64_t next_index = 0;
  };
  // Reads records from `from_index` on (rank -1: every rank), at most
  // max_records and about max_bytes. tail >= 0: the last `tail` matching
  // records instead (from_index ignored). next_index is where a follower
  // continues.
  Result<ReadResult> Read(const std::string& job_id, uint64_t from_index, int rank, int64_t tail,
                          uint32_t max_records, size_t max_bytes = 16u << 20) const;

 private:
  struct JobLog {
    int fd = -1;
    uint64_t end_offset = 0;
    std::vector<uint64_t> offsets;  // record number -> file offset
    std::vector<uint32_t> ranks;    // record number -> rank
    std::map<std::pair<uint32_t, uint32_t>, uint64_t> next_seq;  // (attempt, rank) -> seq
  };
  explicit LogStore(std::string logs_dir) : logs_dir_(std::move(logs_dir)) {}
  Status IndexFile(const std::string& job_id, const std::string& path);
  Result<JobLog*> OpenForAppend(const std::string& job_id);

  std::string logs_dir_;
  std::unordered_map<std::string, JobLog> jobs_;
};

}  // namespace jobctl::controller
