#include "trainer/checkpoint/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace jobctl::trainer {
namespace {

constexpr char kTempMarker[] = ".tmp.";

std::string ErrnoText() { return std::strerror(errno); }

std::string TemporaryPath(const std::string& path) {
  static std::atomic<unsigned> counter{0};
  char host[256] = "host";
  if (::gethostname(host, sizeof(host) - 1) != 0) std::strcpy(host, "host");
  host[sizeof(host) - 1] = '\0';
  return path + kTempMarker + host + "." + std::to_string(::getpid()) + "." +
         std::to_string(counter.fetch_add(1));
}

Status WriteAll(int fd, const std::string& tmp, const std::vector<FileChunk>& chunks) {
  for (const FileChunk& chunk : chunks) {
    size_t done = 0;
    while (done < chunk.size) {
      ssize_t n = ::write(fd, chunk.data + done, chunk.size - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return UnavailableError(tmp + ": write failed: " + ErrnoText());
      done += static_cast<size_t>(n);
    }
  }
  if (::fsync(fd) != 0) return UnavailableError(tmp + ": fsync failed: " + ErrnoText());
  return Status::Ok();
}

// Makes a rename in `dir` durable.
Status SyncFolder(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return UnavailableError(dir + ": cannot open to fsync: " + ErrnoText());
  int rc = ::fsync(fd);
  int saved = errno;
  ::close(fd);
  // Some filesystems refuse fsync on a folder (EINVAL): nothing more to do there.
  if (rc != 0 && saved != EINVAL) {
    errno = saved;
    return UnavailableError(dir + ": fsync failed: " + ErrnoText());
  }
  return Status::Ok();
}

}  // namespace

Status WriteFileAtomically(const std::string& path, const std::vector<FileChunk>& chunks,
                           const std::function<Status()>& before_commit) {
  const std::string tmp = TemporaryPath(path);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return UnavailableError(tmp + ": cannot open for writing: " + ErrnoText());
  Status written = WriteAll(fd, tmp, chunks);
  if (::close(fd) != 0 && written.ok()) {
    written = UnavailableError(tmp + ": close failed: " + ErrnoText());
  }
  if (written.ok() && before_commit) written = before_commit();
  if (!written.ok()) {
    ::unlink(tmp.c_str());
    return written;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    Status s = UnavailableError(path + ": cannot rename " + tmp + " over it: " + ErrnoText());
    ::unlink(tmp.c_str());
    // What the check guards against may have happened since it passed (a
    // newer writer claiming the folder removes the older one's temporary
    // files): then that is the cause to report.
    if (before_commit) {
      Status again = before_commit();
      if (!again.ok()) return again;
    }
    return s;
  }
  std::string dir = std::filesystem::path(path).parent_path().string();
  return SyncFolder(dir.empty() ? "." : dir);
}

bool IsTemporaryName(const std::string& name) {
  return name.find(kTempMarker) != std::string::npos;
}

int RemoveTemporaryFiles(const std::string& dir) {
  int removed = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (!IsTemporaryName(entry.path().filename().string())) continue;
    std::error_code remove_ec;
    if (std::filesystem::remove(entry.path(), remove_ec)) ++removed;
  }
  return removed;
}

}  // namespace jobctl::trainer
