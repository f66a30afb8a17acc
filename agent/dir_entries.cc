#include "agent/dir_entries.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>

namespace jobctl::agent {
namespace {

// Calls `on_entry(name, d_type)` for each entry but "." and "..", until it
// returns false. Returns false when `fd` cannot be read to the end.
template <typename OnEntry>
bool ForEachEntry(int fd, OnEntry on_entry) {
  alignas(dirent64) char buf[1024];
  for (;;) {
    ssize_t n = ::getdents64(fd, buf, sizeof(buf));
    if (n == 0) return true;
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    for (ssize_t at = 0; at < n;) {
      const auto* entry = reinterpret_cast<const dirent64*>(buf + at);
      at += entry->d_reclen;
      std::string_view name = entry->d_name;
      if (name == "." || name == "..") continue;
      if (!on_entry(name, entry->d_type)) return true;
    }
  }
}

}  // namespace

std::optional<std::vector<DirEntry>> ListDir(const std::string& dir, size_t max_entries) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::vector<DirEntry> entries;
  bool too_many = false;
  bool read = ForEachEntry(fd, [&](std::string_view name, unsigned char type) {
    if (entries.size() >= max_entries) {
      too_many = true;
      return false;
    }
    bool is_dir = type == DT_DIR;
    if (type == DT_UNKNOWN) {  // file systems that do not fill d_type
      struct stat st {};
      is_dir = ::fstatat(fd, std::string(name).c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
               S_ISDIR(st.st_mode);
    }
    entries.push_back({std::string(name), is_dir});
    return true;
  });
  ::close(fd);
  if (!read || too_many) return std::nullopt;
  return entries;
}

std::optional<bool> DirIsEmpty(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    return false;
  }
  bool empty = true;
  bool read = ForEachEntry(fd, [&](std::string_view, unsigned char) {
    empty = false;
    return false;
  });
  ::close(fd);
  return read && empty;
}

}  // namespace jobctl::agent
