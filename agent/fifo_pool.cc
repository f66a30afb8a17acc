#include "agent/fifo_pool.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace jobctl::agent {
namespace {

int OpenFifo(const std::string& path) {
  return ::open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
}

// True when no process but the caller holds the FIFO at `path` open for
// writing and nothing is left in it. `fd` (the caller's) is closed.
bool CloseIfUnshared(const std::string& path, int fd) {
  int probe = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  ::close(fd);
  if (probe < 0) return false;
  char byte;
  ssize_t n;
  do {
    n = ::read(probe, &byte, 1);
  } while (n < 0 && errno == EINTR);
  ::close(probe);
  return n == 0;  // end-of-file: no writer; -1/EAGAIN: a writer, 1: data
}

}  // namespace

Result<int> MakeFifo(const std::string& path) {
  // A leftover of an earlier run is replaced (rarely there: no unlink first).
  int made = ::mkfifo(path.c_str(), 0666);
  if (made != 0 && errno == EEXIST) {
    ::unlink(path.c_str());
    made = ::mkfifo(path.c_str(), 0666);
  }
  if (made != 0) {
    return InternalError("cannot create the metrics FIFO " + path + ": " + std::strerror(errno));
  }
  ::chmod(path.c_str(), 0666);  // whatever the umask: any user of the rank may write
  int fd = OpenFifo(path);
  if (fd < 0) {
    Status s = InternalError("cannot open the metrics FIFO " + path + ": " + std::strerror(errno));
    ::unlink(path.c_str());
    return s;
  }
  return fd;
}

void DeleteFifo(const std::string& path, int fd) {
  if (fd >= 0) ::close(fd);
  ::unlink(path.c_str());
}

FifoPool::FifoPool(std::string dir, size_t max_idle) : dir_(std::move(dir)), max_idle_(max_idle) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return;  // no pool: every FIFO is made and deleted
  ::chmod(dir_.c_str(), 0700);
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    std::error_code ignored;
    std::filesystem::remove(entry.path(), ignored);
  }
  dir_ok_ = !ec;
}

FifoPool::~FifoPool() {
  for (const auto& path : idle_) ::unlink(path.c_str());
}

Result<int> FifoPool::Acquire(const std::string& path) {
  while (!idle_.empty()) {
    std::string from = std::move(idle_.back());
    idle_.pop_back();
    // rename() replaces a leftover at `path` in the same step.
    if (::rename(from.c_str(), path.c_str()) != 0) {
      ::unlink(from.c_str());
      continue;
    }
    int fd = OpenFifo(path);
    if (fd >= 0) return fd;
    ::unlink(path.c_str());
  }
  return MakeFifo(path);
}

void FifoPool::Release(const std::string& path, int fd) {
  if (!dir_ok_ || idle_.size() >= max_idle_) return DeleteFifo(path, fd);
  if (CloseIfUnshared(path, fd)) {
    std::string to = dir_ + "/" + std::to_string(next_name_++) + ".fifo";
    if (::rename(path.c_str(), to.c_str()) == 0) {
      idle_.push_back(std::move(to));
      return;
    }
  }
  ::unlink(path.c_str());
}

}  // namespace jobctl::agent
