// Packing a job's `code` folder as tar.gz for submit_job.
//
// Runs `tar -C DIR -czf - .` as a child process and captures its stdout. An
// archive larger than `max_bytes` is an error naming the folder and the limit
// (the child is killed as soon as the limit is passed).
//
// Thread-safety: safe to call from several threads (no shared state), though
// it forks.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "common/protocol/limits.h"
#include "common/status.h"

namespace jobctl::cli {

// common/protocol/limits.h; the controller refuses a bigger archive too.
inline constexpr size_t kMaxCodeArchiveBytes = protocol::kMaxCodeArchiveBytes;

Result<std::string> PackDirectory(const std::string& dir, size_t max_bytes = kMaxCodeArchiveBytes);

// Runs `argv` with stdin from /dev/null, stdout captured (at most
// `max_stdout` bytes) and stderr captured. Returns the exit status in
// `exit_code` (128 + signal when killed by a signal). Used by PackDirectory.
struct ChildOutput {
  std::string out;
  std::string err;
  int exit_code = 0;
  bool truncated = false;  // stdout passed max_stdout and the child was killed
};
Result<ChildOutput> RunAndCapture(const std::vector<std::string>& argv, size_t max_stdout);

}  // namespace jobctl::cli
