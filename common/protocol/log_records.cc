#include "common/protocol/log_records.h"

#include <cstring>

namespace jobctl::protocol {
namespace {

template <typename T>
void Put(std::string& out, T v) {
  char buf[sizeof(T)];
  for (size_t i = 0; i < sizeof(T); ++i) buf[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  out.append(buf, sizeof(T));
}

template <typename T>
T Get(const char* p) {
  T v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) {
    v |= static_cast<T>(static_cast<unsigned char>(p[i])) << (8 * i);
  }
  return v;
}

}  // namespace

void AppendLine(std::string& packed, std::string_view line) {
  Put<uint32_t>(packed, static_cast<uint32_t>(line.size()));
  packed.append(line);
}

Result<std::vector<std::string_view>> UnpackLines(std::string_view packed) {
  std::vector<std::string_view> lines;
  size_t pos = 0;
  while (pos < packed.size()) {
    if (packed.size() - pos < 4) return InvalidArgumentError("truncated line header");
    uint32_t len = Get<uint32_t>(packed.data() + pos);
    pos += 4;
    if (len > packed.size() - pos) return InvalidArgumentError("truncated line");
    lines.emplace_back(packed.data() + pos, len);
    pos += len;
  }
  return lines;
}

void AppendRecord(std::string& packed, uint32_t attempt, uint32_t rank, uint64_t seq,
                  std::string_view line) {
  Put<uint32_t>(packed, attempt);
  Put<uint32_t>(packed, rank);
  Put<uint64_t>(packed, seq);
  Put<uint32_t>(packed, static_cast<uint32_t>(line.size()));
  packed.append(line);
}

Result<std::vector<LogRecord>> UnpackRecords(std::string_view packed) {
  std::vector<LogRecord> records;
  size_t pos = 0;
  while (pos < packed.size()) {
    if (packed.size() - pos < 20) return InvalidArgumentError("truncated record header");
    LogRecord r;
    r.attempt = Get<uint32_t>(packed.data() + pos);
    r.rank = Get<uint32_t>(packed.data() + pos + 4);
    r.seq = Get<uint64_t>(packed.data() + pos + 8);
    uint32_t len = Get<uint32_t>(packed.data() + pos + 16);
    pos += 20;
    if (len > packed.size() - pos) return InvalidArgumentError("truncated record");
    r.line = std::string_view(packed.data() + pos, len);
    pos += len;
    records.push_back(r);
  }
  return records;
}

}  // namespace jobctl::protocol
