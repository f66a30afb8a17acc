#include "agent/log_spool.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/protocol/log_records.h"

namespace jobctl::agent {
namespace {

constexpr uint64_t kCheckpointEvery = 256;
constexpr size_t kFlushBytes = 1u << 20;
constexpr uint64_t kPunchEvery = 4u << 20;

Status ErrnoStatus(const std::string& what, const std::string& path) {
  return InternalError(what + " " + path + ": " + std::strerror(errno));
}

uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v |= static_cast<uint32_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

Status WriteAll(int fd, const char* data, size_t len, const std::string& path) {
  while (len > 0) {
    ssize_t n = ::write(fd, data, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("cannot write", path);
    }
    data += n;
    len -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<LogSpool>> LogSpool::Open(std::string log_path, std::string ack_path,
                                                 size_t memory_window) {
  // Files that are not there yet are created by the first Flush/Ack that
  // has something to write: most short ranks print nothing, and then the
  // spool costs no file (nor directory) at all.
  int fd = ::open(log_path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0 && errno != ENOENT) return ErrnoStatus("cannot open spool file", log_path);
  int ack_fd = ::open(ack_path.c_str(), O_RDWR | O_CLOEXEC);
  if (ack_fd < 0 && errno != ENOENT) {
    Status s = ErrnoStatus("cannot open spool ack file", ack_path);
    if (fd >= 0) ::close(fd);
    return s;
  }
  std::unique_ptr<LogSpool> spool(
      new LogSpool(std::move(log_path), std::move(ack_path), memory_window, fd, ack_fd));
  JOBCTL_RETURN_IF_ERROR(spool->Recover());
  return spool;
}

std::unique_ptr<LogSpool> LogSpool::OpenNew(std::string log_path, std::string ack_path,
                                            size_t memory_window) {
  std::unique_ptr<LogSpool> spool(
      new LogSpool(std::move(log_path), std::move(ack_path), memory_window, -1, -1));
  spool->offsets_[0] = 0;
  return spool;
}

LogSpool::LogSpool(std::string log_path, std::string ack_path, size_t memory_window, int fd,
                   int ack_fd)
    : log_path_(std::move(log_path)),
      ack_path_(std::move(ack_path)),
      memory_window_(memory_window),
      fd_(fd),
      ack_fd_(ack_fd) {}

LogSpool::~LogSpool() {
  if (!removed_) (void)Flush();
  if (fd_ >= 0) ::close(fd_);
  if (ack_fd_ >= 0) ::close(ack_fd_);
}

Status LogSpool::Recover() {
  offsets_[0] = 0;
  if (fd_ < 0) return Status::Ok();  // nothing spooled yet
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return ErrnoStatus("cannot stat", log_path_);
  uint64_t size = static_cast<uint64_t>(st.st_size);
  // Walk the records, reading the file in large chunks.
  std::string chunk;
  uint64_t offset = 0;
  constexpr size_t kChunk = 4u << 20;
  while (offset < size) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(kChunk, size - offset));
    chunk.resize(want);
    ssize_t n = ::pread(fd_, chunk.data(), want, static_cast<off_t>(offset));
    if (n < 0) return ErrnoStatus("cannot read", log_path_);
    chunk.resize(static_cast<size_t>(n));
    size_t pos = 0;
    while (chunk.size() - pos >= 4) {
      uint32_t len = GetU32(chunk.data() + pos);
      if (len > protocol::kMaxLineBytes) break;  // garbage: cut here
      if (chunk.size() - pos - 4 < len) break;
      pos += 4 + len;
      ++next_seq_;
      if (next_seq_ % kCheckpointEvery == 0) offsets_[next_seq_] = offset + pos;
    }
    if (pos == 0) break;  // a torn or bad record
    offset += pos;
  }
  if (offset < size && ::ftruncate(fd_, static_cast<off_t>(offset)) != 0) {
    return ErrnoStatus("cannot truncate", log_path_);
  }
  end_offset_ = flushed_offset_ = tail_offset_ = offset;
  offsets_[next_seq_] = offset;
  lines_since_checkpoint_ = 0;
  if (::lseek(fd_, static_cast<off_t>(offset), SEEK_SET) < 0) {
    return ErrnoStatus("cannot seek", log_path_);
  }
  char ack[8];
  if (ack_fd_ >= 0 && ::pread(ack_fd_, ack, 8, 0) == 8) {
    uint64_t seq = 0;
    std::memcpy(&seq, ack, 8);
    acked_seq_ = std::min(seq, next_seq_);
  }
  return Status::Ok();
}

Status LogSpool::Append(const std::vector<std::string_view>& lines) {
  for (std::string_view line : lines) {
    protocol::AppendLine(tail_, line.substr(0, protocol::kMaxLineBytes));
    end_offset_ += 4 + std::min(line.size(), protocol::kMaxLineBytes);
    ++next_seq_;
    if (++lines_since_checkpoint_ >= kCheckpointEvery) {
      offsets_[next_seq_] = end_offset_;
      lines_since_checkpoint_ = 0;
    }
  }
  if (end_offset_ - flushed_offset_ >= kFlushBytes) JOBCTL_RETURN_IF_ERROR(Flush());
  return Status::Ok();
}

Status LogSpool::Flush() {
  if (flushed_offset_ == end_offset_) return Status::Ok();
  JOBCTL_RETURN_IF_ERROR(CreateIfMissing(log_path_, &fd_));
  size_t start = static_cast<size_t>(flushed_offset_ - tail_offset_);
  JOBCTL_RETURN_IF_ERROR(WriteAll(fd_, tail_.data() + start, tail_.size() - start, log_path_));
  flushed_offset_ = end_offset_;
  TrimMemory();
  return Status::Ok();
}

void LogSpool::TrimMemory() {
  // Only flushed bytes may leave memory; keep at most memory_window_ bytes.
  if (tail_.size() <= memory_window_) return;
  uint64_t drop = std::min<uint64_t>(tail_.size() - memory_window_, flushed_offset_ - tail_offset_);
  if (drop == 0) return;
  tail_.erase(0, static_cast<size_t>(drop));
  tail_offset_ += drop;
}

Status LogSpool::ReadBytes(uint64_t offset, size_t len, std::string* out) {
  out->clear();
  if (offset < tail_offset_) {
    size_t from_file = static_cast<size_t>(std::min<uint64_t>(len, tail_offset_ - offset));
    out->resize(from_file);
    size_t got = 0;
    while (got < from_file) {
      ssize_t n =
          ::pread(fd_, out->data() + got, from_file - got, static_cast<off_t>(offset + got));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return ErrnoStatus("cannot read back", log_path_);
      got += static_cast<size_t>(n);
    }
    offset += from_file;
    len -= from_file;
  }
  if (len > 0) {
    size_t start = static_cast<size_t>(offset - tail_offset_);
    out->append(tail_, start, std::min(len, tail_.size() - start));
  }
  return Status::Ok();
}

Result<uint64_t> LogSpool::OffsetOf(uint64_t seq) {
  auto it = offsets_.upper_bound(seq);
  --it;  // offsets_ always holds an entry <= any valid seq
  uint64_t cur_seq = it->first;
  uint64_t offset = it->second;
  std::string header;
  while (cur_seq < seq) {
    JOBCTL_RETURN_IF_ERROR(ReadBytes(offset, 4, &header));
    if (header.size() < 4)
      return InternalError("spool " + log_path_ + " is shorter than its index");
    offset += 4 + GetU32(header.data());
    ++cur_seq;
  }
  offsets_[seq] = offset;
  return offset;
}

Result<uint64_t> LogSpool::Read(uint64_t from_seq, size_t max_bytes, std::string* packed) {
  if (from_seq < acked_seq_ || from_seq > next_seq_) {
    return InvalidArgumentError("spool read from " + std::to_string(from_seq) + " outside [" +
                                std::to_string(acked_seq_) + ", " + std::to_string(next_seq_) +
                                "]");
  }
  packed->clear();
  if (from_seq == next_seq_) return uint64_t{0};
  JOBCTL_ASSIGN_OR_RETURN(uint64_t offset, OffsetOf(from_seq));
  size_t want = static_cast<size_t>(
      std::min<uint64_t>(end_offset_ - offset, std::max(max_bytes, protocol::kMaxLineBytes + 4)));
  JOBCTL_RETURN_IF_ERROR(ReadBytes(offset, want, packed));
  // Keep whole records only, within max_bytes (but at least one).
  size_t pos = 0;
  uint64_t count = 0;
  while (packed->size() - pos >= 4) {
    size_t rec = 4 + GetU32(packed->data() + pos);
    if (packed->size() - pos < rec) break;
    if (count > 0 && pos + rec > max_bytes) break;
    pos += rec;
    ++count;
    if (from_seq + count == next_seq_) break;
  }
  packed->resize(pos);
  offsets_[from_seq + count] = offset + pos;
  return count;
}

Status LogSpool::Ack(uint64_t seq) {
  seq = std::min(seq, next_seq_);
  if (seq <= acked_seq_) return Status::Ok();
  JOBCTL_ASSIGN_OR_RETURN(uint64_t offset, OffsetOf(seq));
  acked_seq_ = seq;
  // Forget index entries below the acked position.
  offsets_.erase(offsets_.begin(), offsets_.lower_bound(seq));
  // Drop acknowledged bytes from memory (flushed ones only).
  uint64_t drop_to = std::min(offset, flushed_offset_);
  if (drop_to > tail_offset_) {
    tail_.erase(0, static_cast<size_t>(drop_to - tail_offset_));
    tail_offset_ = drop_to;
  }
  if (offset >= punched_offset_ + kPunchEvery) {
    uint64_t to = std::min(offset, flushed_offset_) & ~uint64_t{4095};
    if (to > punched_offset_) {
      // Best effort: a file system without hole punching keeps the blocks.
      (void)::fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, static_cast<off_t>(to));
      punched_offset_ = to;
    }
  }
  JOBCTL_RETURN_IF_ERROR(CreateIfMissing(ack_path_, &ack_fd_));
  char buf[8];
  std::memcpy(buf, &acked_seq_, 8);
  if (::pwrite(ack_fd_, buf, 8, 0) != 8) return ErrnoStatus("cannot write", ack_path_);
  return Status::Ok();
}

Status LogSpool::CreateIfMissing(const std::string& path, int* fd) {
  if (*fd >= 0) return Status::Ok();
  if (removed_) return InternalError("spool " + path + " used after Remove()");
  *fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (*fd < 0 && errno == ENOENT) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
    *fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  }
  if (*fd < 0) return ErrnoStatus("cannot create spool file", path);
  return Status::Ok();
}

void LogSpool::Remove() {
  removed_ = true;
  // A file is there only if it was opened (found by Open) or created since.
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(log_path_.c_str());
  }
  if (ack_fd_ >= 0) {
    ::close(ack_fd_);
    ::unlink(ack_path_.c_str());
  }
  fd_ = ack_fd_ = -1;
}

}  // namespace jobctl::agent
