#include "common/protocol/metric_records.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace jobctl::protocol {
namespace {

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == ':' || c == '/' || c == '-';
}

std::vector<std::string_view> SplitFields(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) fields.push_back(line.substr(start, i - start));
  }
  return fields;
}

Result<double> ParseValue(std::string_view text) {
  // strtod also takes hex, inf and nan: allow only decimal syntax.
  for (char c : text) {
    bool ok = (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E';
    if (!ok) return InvalidArgumentError("value '" + std::string(text) + "' is not a number");
  }
  std::string copy(text);
  char* end = nullptr;
  double v = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size() || copy.empty()) {
    return InvalidArgumentError("value '" + copy + "' is not a number");
  }
  if (!std::isfinite(v)) return InvalidArgumentError("value '" + copy + "' is not finite");
  return v;
}

Result<int64_t> ParseStep(std::string_view text) {
  if (text.empty() || text.size() > 16) {
    return InvalidArgumentError("step '" + std::string(text) + "' is not an integer 0..2^53");
  }
  int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return InvalidArgumentError("step '" + std::string(text) + "' is not an integer 0..2^53");
    }
    v = v * 10 + (c - '0');
  }
  if (v > kMaxMetricStep) {
    return InvalidArgumentError("step '" + std::string(text) + "' is not an integer 0..2^53");
  }
  return v;
}

void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t GetU64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

}  // namespace

Result<std::optional<ParsedMetricLine>> ParseMetricLine(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.size() > kMaxMetricLineBytes) {
    return InvalidArgumentError("line longer than " + std::to_string(kMaxMetricLineBytes) +
                                " bytes");
  }
  auto fields = SplitFields(line);
  if (fields.empty() || fields[0][0] == '#') return std::optional<ParsedMetricLine>();
  if (fields.size() < 2 || fields.size() > 3) {
    return InvalidArgumentError("expected 'NAME VALUE [STEP]', got " +
                                std::to_string(fields.size()) + " field(s)");
  }
  if (fields[0].size() > kMaxMetricNameBytes) {
    return InvalidArgumentError("name longer than " + std::to_string(kMaxMetricNameBytes) +
                                " characters");
  }
  for (char c : fields[0]) {
    if (!IsNameChar(c)) {
      return InvalidArgumentError("name '" + std::string(fields[0]) +
                                  "' has a character outside [A-Za-z0-9_.:/-]");
    }
  }
  ParsedMetricLine parsed;
  parsed.name = std::string(fields[0]);
  JOBCTL_ASSIGN_OR_RETURN(parsed.value, ParseValue(fields[1]));
  if (fields.size() == 3) {
    JOBCTL_ASSIGN_OR_RETURN(int64_t step, ParseStep(fields[2]));
    parsed.step = step;
  }
  return std::optional<ParsedMetricLine>(std::move(parsed));
}

std::string EncodeMetricPoint(const MetricPoint& point) {
  std::string out;
  out.reserve(24 + point.name.size());
  PutU64(out, static_cast<uint64_t>(point.step));
  uint64_t bits = 0;
  std::memcpy(&bits, &point.value, 8);
  PutU64(out, bits);
  PutU64(out, static_cast<uint64_t>(point.time_ms));
  out.append(point.name);
  return out;
}

Result<MetricPoint> DecodeMetricPoint(std::string_view record) {
  if (record.size() < 25 || record.size() > 24 + kMaxMetricNameBytes) {
    return InvalidArgumentError("metric record of " + std::to_string(record.size()) +
                                " bytes (expected 25.." + std::to_string(24 + kMaxMetricNameBytes) +
                                ")");
  }
  MetricPoint p;
  p.step = static_cast<int64_t>(GetU64(record.data()));
  uint64_t bits = GetU64(record.data() + 8);
  std::memcpy(&p.value, &bits, 8);
  p.time_ms = static_cast<int64_t>(GetU64(record.data() + 16));
  p.name = std::string(record.substr(24));
  if (!std::isfinite(p.value))
    return InvalidArgumentError("metric " + p.name + ": value not finite");
  return p;
}

}  // namespace jobctl::protocol
