// Whether processes named in pid files are still alive (zombies count as gone).
#pragma once

#include <signal.h>

#include <string>
#include <vector>

#include "tests/e2e/local_cluster.h"

namespace jobctl::testing {

inline bool ProcessAlive(int pid) {
  if (pid <= 0 || kill(pid, 0) != 0) return false;
  std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  size_t close_paren = stat.rfind(')');
  if (close_paren == std::string::npos || close_paren + 2 >= stat.size()) return false;
  return stat[close_paren + 2] != 'Z';
}

// Pids read from every file in `paths` (one number per file).
inline std::vector<int> ReadPids(const std::vector<std::string>& paths) {
  std::vector<int> pids;
  for (const auto& p : paths) {
    std::string text = ReadFile(p);
    if (!text.empty()) pids.push_back(std::stoi(text));
  }
  return pids;
}

inline void KillAll(const std::vector<int>& pids) {
  for (int pid : pids) {
    if (pid > 0) kill(pid, SIGKILL);
  }
}

}  // namespace jobctl::testing
