#include "controller/log_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/protocol/log_records.h"
#include "controller/paths.h"

namespace jobctl::controller {
namespace {

constexpr size_t kHeaderBytes = protocol::RecordSize(0);

uint64_t GetLe(const char* p, size_t bytes) {
  uint64_t v = 0;
  for (size_t i = 0; i < bytes; ++i) v |= uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
  return v;
}

std::string ErrnoText() { return std::strerror(errno); }

Status WriteAll(int fd, const std::string& data, uint64_t offset, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::pwrite(fd, data.data() + done, data.size() - done,
                         static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status s = (errno == ENOSPC || errno == EDQUOT)
                     ? ResourceExhaustedError("writing " + path + ": " + ErrnoText())
                     : UnavailableError("writing " + path + ": " + ErrnoText());
      return s;
    }
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status ReadAt(int fd, char* out, size_t size, uint64_t offset) {
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd, out + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return UnavailableError("reading a job log: " + (n < 0 ? ErrnoText() : "EOF"));
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<LogStore>> LogStore::Open(const std::string& logs_dir) {
  std::unique_ptr<LogStore> store(new LogStore(logs_dir));
  std::error_code ec;
  std::filesystem::directory_iterator it(logs_dir, ec);
  if (ec) return UnavailableError("cannot list log directory " + logs_dir + ": " + ec.message());
  for (const auto& entry : it) {
    if (!entry.is_regular_file() || entry.path().extension() != ".log") continue;
    JOBCTL_RETURN_IF_ERROR(store->IndexFile(entry.path().stem().string(), entry.path().string()));
  }
  return store;
}

LogStore::~LogStore() {
  for (auto& [id, log] : jobs_) {
    if (log.fd >= 0) ::close(log.fd);
  }
}

Status LogStore::IndexFile(const std::string& job_id, const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return UnavailableError("cannot open job log " + path + ": " + ErrnoText());
  JobLog& log = jobs_[job_id];
  log.fd = fd;
  // Scan in chunks; a record may straddle two chunks.
  constexpr size_t kChunk = 4u << 20;
  std::string buffer;
  uint64_t buffer_offset = 0;  // file offset of buffer[0]
  uint64_t pos = 0;            // file offset of the next record
  bool eof = false;
  while (true) {
    size_t in_buffer = static_cast<size_t>(pos - buffer_offset);
    if (buffer.size() - in_buffer < kHeaderBytes ||
        buffer.size() - in_buffer < kHeaderBytes + GetLe(buffer.data() + in_buffer + 16, 4)) {
      if (eof) break;
      buffer.erase(0, in_buffer);
      buffer_offset = pos;
      size_t old = buffer.size();
      buffer.resize(old + kChunk);
      ssize_t n = ::pread(fd, buffer.data() + old, kChunk, static_cast<off_t>(pos + old));
      if (n < 0) return UnavailableError("reading job log " + path + ": " + ErrnoText());
      buffer.resize(old + static_cast<size_t>(n));
      if (n == 0) eof = true;
      continue;
    }
    const char* p = buffer.data() + in_buffer;
    uint32_t attempt = static_cast<uint32_t>(GetLe(p, 4));
    uint32_t rank = static_cast<uint32_t>(GetLe(p + 4, 4));
    uint64_t seq = GetLe(p + 8, 8);
    uint64_t len = GetLe(p + 16, 4);
    log.offsets.push_back(pos);
    log.ranks.push_back(rank);
    uint64_t& next = log.next_seq[{attempt, rank}];
    next = std::max(next, seq + 1);
    pos += kHeaderBytes + len;
  }
  log.end_offset = pos;
  // Whatever follows the last whole record is a torn write: cut it off.
  if (::ftruncate(fd, static_cast<off_t>(pos)) != 0) {
    return UnavailableError("truncating torn tail of " + path + ": " + ErrnoText());
  }
  return Status::Ok();
}

Result<LogStore::JobLog*> LogStore::OpenForAppend(const std::string& job_id) {
  auto it = jobs_.find(job_id);
  if (it != jobs_.end() && it->second.fd >= 0) return &it->second;
  std::string path = paths::JobLogPath(logs_dir_, job_id);
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return UnavailableError("cannot create job log " + path + ": " + ErrnoText());
  JobLog& log = jobs_[job_id];
  log.fd = fd;
  return &log;
}

Result<uint64_t> LogStore::Append(const std::string& job_id, uint32_t attempt, uint32_t rank,
                                  uint64_t first_seq, const std::vector<std::string_view>& lines) {
  uint64_t next = NextSeq(job_id, attempt, rank);
  if (first_seq > next) return next;  // a gap: the sender resumes at `next`
  uint64_t skip = next - first_seq;
  if (skip >= lines.size()) return next;  // all duplicates
  JOBCTL_ASSIGN_OR_RETURN(JobLog * log, OpenForAppend(job_id));
  std::string packed;
  std::vector<uint64_t> offsets;
  for (size_t i = static_cast<size_t>(skip); i < lines.size(); ++i) {
    offsets.push_back(log->end_offset + packed.size());
    protocol::AppendRecord(packed, attempt, rank, first_seq + i, lines[i]);
  }
  std::string path = paths::JobLogPath(logs_dir_, job_id);
  Status written = WriteAll(log->fd, packed, log->end_offset, path);
  if (!written.ok()) {
    // Leave no partial record behind; the index still ends at end_offset.
    ::ftruncate(log->fd, static_cast<off_t>(log->end_offset));
    return written;
  }
  log->end_offset += packed.size();
  log->offsets.insert(log->offsets.end(), offsets.begin(), offsets.end());
  log->ranks.insert(log->ranks.end(), offsets.size(), rank);
  uint64_t new_next = first_seq + lines.size();
  log->next_seq[{attempt, rank}] = new_next;
  return new_next;
}

uint64_t LogStore::NextSeq(const std::string& job_id, uint32_t attempt, uint32_t rank) const {
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return 0;
  auto seq = it->second.next_seq.find({attempt, rank});
  return seq == it->second.next_seq.end() ? 0 : seq->second;
}

uint64_t LogStore::RecordCount(const std::string& job_id) const {
  auto it = jobs_.find(job_id);
  return it == jobs_.end() ? 0 : it->second.offsets.size();
}

Result<LogStore::ReadResult> LogStore::Read(const std::string& job_id, uint64_t from_index,
                                            int rank, int64_t tail, uint32_t max_records,
                                            size_t max_bytes) const {
  ReadResult result;
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return result;
  const JobLog& log = it->second;
  const uint64_t total = log.offsets.size();
  auto matches = [&](uint64_t i) { return rank < 0 || log.ranks[i] == static_cast<uint32_t>(rank); };
  if (tail >= 0) {
    // Walk back to the first of the last `tail` matching records.
    uint64_t start = total;
    int64_t found = 0;
    while (start > 0 && found < tail) {
      --start;
      if (matches(start)) ++found;
    }
    from_index = (found == 0) ? total : start;
  }
  // Matching records that sit next to each other in the file are read with one pread.
  uint64_t run_start = 0, run_end = 0;
  auto flush = [&]() -> Status {
    if (run_end == run_start) return Status::Ok();
    size_t old = result.records.size();
    result.records.resize(old + static_cast<size_t>(run_end - run_start));
    Status s = ReadAt(log.fd, result.records.data() + old, static_cast<size_t>(run_end - run_start),
                      run_start);
    run_start = run_end = 0;
    return s;
  };
  size_t bytes = 0;
  uint64_t i = std::min(from_index, total);
  while (i < total && result.count < max_records && bytes < max_bytes) {
    if (matches(i)) {
      uint64_t begin = log.offsets[i];
      uint64_t end = (i + 1 < total) ? log.offsets[i + 1] : log.end_offset;
      if (run_end != begin) {
        JOBCTL_RETURN_IF_ERROR(flush());
        run_start = begin;
      }
      run_end = end;
      bytes += static_cast<size_t>(end - begin);
      ++result.count;
    }
    ++i;
  }
  JOBCTL_RETURN_IF_ERROR(flush());
  result.next_index = i;
  return result;
}

}  // namespace jobctl::controller
