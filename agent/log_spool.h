// LogSpool: the log lines of one rank (job, attempt, rank), numbered 0, 1,
// 2, ... in the order they were appended, kept on disk until the controller
// acknowledges them.
//
// The spool file holds the lines in log_records.h PackLines format
// ([u32 length][bytes] ...), so a batch read from it is sent as it is. Writes
// are buffered (one write() per Flush, or when the buffer passes 1 MiB). The
// newest bytes also stay in memory, up to `memory_window` bytes; older
// unacknowledged lines are read back from the file, so memory stays bounded
// however far the controller falls behind. Ack(seq) forgets lines below seq:
// the acknowledged prefix is dropped from memory, its disk blocks are freed
// (hole punched) and seq is persisted in the ack file, so a reopened spool
// (after an agent restart) resends from the first unacknowledged line.
//
// Errors: disk errors are kInternal naming the file.
// Thread-safety: not thread-safe; owned by the agent's event loop.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace jobctl::agent {

class LogSpool {
 public:
  static constexpr size_t kDefaultMemoryWindow = 8u << 20;

  // Opens (files are created when first written) the spool at `log_path`, recovering the
  // lines and the acknowledged position a previous run left there. A torn
  // last record (the agent died mid-write) is cut off.
  static Result<std::unique_ptr<LogSpool>> Open(std::string log_path, std::string ack_path,
                                                size_t memory_window = kDefaultMemoryWindow);
  // A spool the caller knows has no file yet (e.g. its directory did not
  // exist when the attempt began): nothing to recover, so no file is probed.
  static std::unique_ptr<LogSpool> OpenNew(std::string log_path, std::string ack_path,
                                           size_t memory_window = kDefaultMemoryWindow);
  ~LogSpool();
  LogSpool(const LogSpool&) = delete;
  LogSpool& operator=(const LogSpool&) = delete;

  // Appends lines numbered next_seq(), next_seq()+1, ...
  Status Append(const std::vector<std::string_view>& lines);
  // Writes buffered bytes to the file.
  Status Flush();

  uint64_t next_seq() const { return next_seq_; }    // lines appended so far
  uint64_t acked_seq() const { return acked_seq_; }  // lines below are acknowledged

  // Packs lines from_seq, from_seq+1, ... (PackLines format) into `packed`
  // until adding one more would pass `max_bytes` (at least one line is
  // packed when from_seq < next_seq()). Returns the number of lines.
  // Precondition: acked_seq() <= from_seq <= next_seq().
  Result<uint64_t> Read(uint64_t from_seq, size_t max_bytes, std::string* packed);

  // Every line below `seq` is acknowledged. Smaller values than acked_seq()
  // are ignored; values past next_seq() are clamped.
  Status Ack(uint64_t seq);

  // Deletes the files. The spool must not be used afterwards.
  void Remove();

  // Bytes of line data held in memory (for tests of the memory bound).
  size_t memory_bytes() const { return tail_.size(); }

 private:
  LogSpool(std::string log_path, std::string ack_path, size_t memory_window, int fd, int ack_fd);
  Status Recover();
  // Bytes [offset, offset+len) of the file (from memory or disk).
  Status ReadBytes(uint64_t offset, size_t len, std::string* out);
  Result<uint64_t> OffsetOf(uint64_t seq);
  void TrimMemory();
  // Opens `path` into *fd, creating it (and its directory) when *fd < 0.
  Status CreateIfMissing(const std::string& path, int* fd);

  std::string log_path_;
  std::string ack_path_;
  size_t memory_window_;
  int fd_ = -1;
  int ack_fd_ = -1;  // fd_ and ack_fd_ are -1 until there is something to write
  bool removed_ = false;
  uint64_t next_seq_ = 0;
  uint64_t acked_seq_ = 0;
  uint64_t end_offset_ = 0;      // file size including buffered bytes
  uint64_t flushed_offset_ = 0;  // bytes [0, flushed_offset_) are in the file
  uint64_t punched_offset_ = 0;  // disk blocks below are freed
  // tail_ holds bytes [tail_offset_, end_offset_); the part past
  // flushed_offset_ is the write buffer.
  std::string tail_;
  uint64_t tail_offset_ = 0;
  // seq -> file offset of that line: every kCheckpointEvery lines, plus the
  // ends of recent reads and the acked position.
  std::map<uint64_t, uint64_t> offsets_;
  uint64_t lines_since_checkpoint_ = 0;
};

}  // namespace jobctl::agent
