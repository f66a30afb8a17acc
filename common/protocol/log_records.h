// Packed log lines and records: the bulk of the log path, kept out of
// MessagePack maps so a batch of 10,000 lines is one binary field.
//
// PackLines:   repeated [u32 length][bytes]                       (agent -> controller)
// LogRecord:   repeated [u32 attempt][u32 rank][u64 seq][u32 length][bytes]
//              (controller -> client, and the controller's log file format)
// Integers are little-endian. Lines are raw bytes: they need not be UTF-8 and
// hold no trailing newline. A line is at most kMaxLineBytes; longer output is
// split by the agent before it is packed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/protocol/limits.h"
#include "common/status.h"

namespace jobctl::protocol {

// kMaxLineBytes is in limits.h.

void AppendLine(std::string& packed, std::string_view line);
// Splits a PackLines buffer. The views point into `packed`.
Result<std::vector<std::string_view>> UnpackLines(std::string_view packed);

struct LogRecord {
  uint32_t attempt = 0;
  uint32_t rank = 0;
  uint64_t seq = 0;
  std::string_view line;  // points into the buffer it was unpacked from
};

void AppendRecord(std::string& packed, uint32_t attempt, uint32_t rank, uint64_t seq,
                  std::string_view line);
// Size of one packed record holding `line_bytes` of text.
inline constexpr size_t RecordSize(size_t line_bytes) { return 20 + line_bytes; }
Result<std::vector<LogRecord>> UnpackRecords(std::string_view packed);

}  // namespace jobctl::protocol
