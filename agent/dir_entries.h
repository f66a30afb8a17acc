// DirEntries: what one directory holds, read with open + getdents64 into a
// small stack buffer (opendir allocates 32 KiB per call, which the agent's
// per-rank checks would pay for every trivial job).
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace jobctl::agent {

struct DirEntry {
  std::string name;     // never "." or ".."
  bool is_dir = false;  // false for anything else, links included
};

// The entries of `dir`, in the order the file system gives them, at most
// `max_entries` of them (nullopt past that, as when `dir` cannot be read).
std::optional<std::vector<DirEntry>> ListDir(const std::string& dir, size_t max_entries);

// Whether `dir` exists and holds nothing: nullopt when it does not exist,
// false when it holds something or cannot be read (in doubt).
std::optional<bool> DirIsEmpty(const std::string& dir);

}  // namespace jobctl::agent
