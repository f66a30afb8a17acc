// Reading and following a job's log (used by `logs` and `submit --follow`).
//
// Records are written to `out` as raw bytes, one line each with a trailing
// newline, optionally prefixed "[rank N] ". Output is built in a buffer and
// written with one fwrite per reply (no per-line flush), so `logs -f > file`
// is limited by the controller, not by stdio.
//
// Following keeps next_index across failed calls: when the controller stops
// answering it prints one notice to `err` and retries until it answers again
// (then resumes exactly after the last line written) or until
// reconnect_timeout passes (then returns kUnavailable).
//
// Thread-safety: not thread-safe; uses the caller's client and streams.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

#include "cli/controller_client.h"
#include "common/protocol/log_records.h"
#include "common/status.h"

namespace jobctl::cli {

struct LogStreamOptions {
  std::string job_id;
  int rank = -1;          // -1: every rank
  int64_t tail = -1;      // >= 0: start with the last `tail` lines
  bool follow = false;    // keep reading until the job is terminal and every line is read
  bool prefix = true;     // "[rank N] " before each line
  bool attempt_markers = false;  // "--- attempt K ---" on `err` when the attempt changes
  int wait_ms = 1000;     // long-poll wait per request while following
  std::chrono::milliseconds reconnect_timeout{60000};
  std::chrono::milliseconds retry_interval{500};
};

struct LogStreamResult {
  std::string state;        // the job's state in the last reply
  bool complete = false;    // the job is terminal and its whole log was read
  uint64_t next_index = 0;
  uint64_t lines = 0;       // lines written
};

// Appends one record as text to `buf`.
void AppendLogLine(std::string& buf, const protocol::LogRecord& record, bool prefix);

Result<LogStreamResult> StreamLogs(ControllerClient& client, const LogStreamOptions& options,
                                   FILE* out, FILE* err);

}  // namespace jobctl::cli
