#include "agent/attempt_dir_pool.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "agent/dir_entries.h"

namespace jobctl::agent {
namespace {

// Subdirectories a recycled directory may hold: an attempt has one per
// local rank.
constexpr size_t kMaxSubdirs = 64;

// One mkdir when the parent exists (create_directories stats every
// component first); an existing directory is fine.
Status MakeDir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0777) == 0) return Status::Ok();
  struct stat st {};
  if (errno == EEXIST && ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return Status::Ok();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return InternalError("cannot create directory " + dir + ": " + ec.message());
  return Status::Ok();
}

void RemoveTree(const std::string& path) {
  std::error_code ignored;
  std::filesystem::remove_all(path, ignored);
}

}  // namespace

AttemptDirPool::AttemptDirPool(std::string dir, size_t max_idle)
    : dir_(std::move(dir)), max_idle_(max_idle) {
  if (max_idle_ == 0) return;
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return;  // no pool: every directory is made, as without one
  ::chmod(dir_.c_str(), 0700);
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    RemoveTree(entry.path().string());
  }
  dir_ok_ = !ec;
}

AttemptDirPool::~AttemptDirPool() {
  for (const auto& idle : idle_) RemoveTree(idle.path);
}

Status AttemptDirPool::Acquire(const std::string& attempt_dir,
                               const std::vector<std::string>& subdirs) {
  while (!idle_.empty()) {
    Idle spare = std::move(idle_.back());
    idle_.pop_back();
    // rename() onto a directory that exists succeeds only when it is empty.
    if (::rename(spare.path.c_str(), attempt_dir.c_str()) != 0) {
      if (errno == ENOTEMPTY || errno == EEXIST) {
        idle_.push_back(std::move(spare));  // still good; `attempt_dir` stays
        break;
      }
      RemoveTree(spare.path);
      continue;
    }
    if (Reshape(attempt_dir, std::move(spare.subdirs), subdirs)) return Status::Ok();
    break;  // the directories below finish what Reshape could not
  }
  JOBCTL_RETURN_IF_ERROR(MakeDir(attempt_dir));
  for (const auto& name : subdirs) JOBCTL_RETURN_IF_ERROR(MakeDir(attempt_dir + "/" + name));
  return Status::Ok();
}

bool AttemptDirPool::Reshape(const std::string& attempt_dir, std::vector<std::string> have,
                             const std::vector<std::string>& want) {
  std::vector<std::string> missing;
  for (const auto& name : want) {
    auto it = std::find(have.begin(), have.end(), name);
    if (it != have.end()) {
      have.erase(it);
    } else {
      missing.push_back(name);
    }
  }
  // `have` is now what is not wanted: renamed to what is missing, then removed.
  for (const auto& name : missing) {
    std::string to = attempt_dir + "/" + name;
    if (!have.empty()) {
      std::string from = attempt_dir + "/" + have.back();
      have.pop_back();
      if (::rename(from.c_str(), to.c_str()) == 0) continue;
    }
    if (::mkdir(to.c_str(), 0777) != 0) return false;
  }
  for (const auto& name : have) {
    if (::rmdir((attempt_dir + "/" + name).c_str()) != 0) return false;
  }
  return true;
}

bool AttemptDirPool::Release(const std::string& attempt_dir) {
  if (!dir_ok_ || idle_.size() >= max_idle_) return false;
  auto entries = ListDir(attempt_dir, kMaxSubdirs);
  if (!entries) return false;
  Idle idle;
  for (const auto& entry : *entries) {
    if (!entry.is_dir) return false;
    std::string sub = attempt_dir + "/" + entry.name;
    if (DirIsEmpty(sub) != std::optional<bool>(true)) return false;
    idle.subdirs.push_back(entry.name);
  }
  idle.path = dir_ + "/" + std::to_string(next_name_++);
  if (::rename(attempt_dir.c_str(), idle.path.c_str()) != 0) return false;
  idle_.push_back(std::move(idle));
  return true;
}

}  // namespace jobctl::agent
