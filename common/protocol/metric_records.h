// Metric points: the text line a rank writes to its metrics channel, and the
// binary record the agent spools and ships.
//
// Line (docs/tracking.md): `NAME VALUE [STEP]`, fields separated by spaces or
// tabs, at most kMaxMetricLineBytes. NAME is 1..128 characters of
// [A-Za-z0-9_.:/-]; VALUE a finite decimal or exponent number (strtod
// syntax, no hex, no inf/nan); STEP a decimal integer 0..2^53. A line
// without STEP gets the step after the last one of that name from that rank
// (0 for the first). Empty lines and lines starting with '#' are skipped.
//
// Record: [i64 step][f64 value][i64 time_ms][name bytes], little-endian,
// carried as one PackLines line (log_records.h).
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/protocol/limits.h"
#include "common/status.h"

namespace jobctl::protocol {

inline constexpr size_t kMaxMetricLineBytes = 1024;
// kMaxMetricNameBytes is in limits.h.
inline constexpr int64_t kMaxMetricStep = int64_t{1} << 53;

struct MetricPoint {
  std::string name;
  int64_t step = 0;
  double value = 0;
  int64_t time_ms = 0;
};

struct ParsedMetricLine {
  std::string name;
  double value = 0;
  std::optional<int64_t> step;
};

// Parses one line (no trailing newline; a trailing '\r' is ignored).
// nullopt for a line to skip (empty or comment); kInvalidArgument naming the
// problem for a bad line.
Result<std::optional<ParsedMetricLine>> ParseMetricLine(std::string_view line);

std::string EncodeMetricPoint(const MetricPoint& point);
Result<MetricPoint> DecodeMetricPoint(std::string_view record);

}  // namespace jobctl::protocol
