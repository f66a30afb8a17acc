// LimitCheck: checks sizes and counts of a message or spec against the
// limits in limits.h and keeps the first one passed.
//
//   LimitCheck check("submit_job");
//   check.Bytes("code_archive", archive.size(), kMaxCodeArchiveBytes, "code_archive_bytes");
//   if (!check.ok()) return check.status();
//
// The error is INVALID_ARGUMENT, "CONTEXT: FIELD is 70 MiB, over the limit of
// 64 MiB (code_archive_bytes)"; limit() is the limit's name, for counters.
//
// Thread-safety: a value type; one per check.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"

namespace jobctl::protocol {

class LimitCheck {
 public:
  explicit LimitCheck(std::string_view context) : context_(context) {}

  // `field` holds `size` bytes; at most `limit` allowed.
  LimitCheck& Bytes(std::string_view field, size_t size, size_t limit, std::string_view name);
  // `field` holds `count` entries; at most `limit` allowed.
  LimitCheck& Count(std::string_view field, size_t count, size_t limit, std::string_view name);
  // Every string of `field` (a std::string) at most `limit` bytes.
  LimitCheck& String(std::string_view field, const std::string& value, size_t limit,
                     std::string_view name) {
    return Bytes(field, value.size(), limit, name);
  }

  bool ok() const { return limit_.empty(); }
  // The name of the first limit passed; empty when ok().
  const std::string& limit() const { return limit_; }
  Status status() const;

 private:
  void Fail(std::string_view field, std::string got, std::string limit, std::string_view name);

  std::string context_;
  std::string limit_;
  std::string message_;
};

// "64 MiB", "16 KiB", "152 bytes".
std::string FormatLimitBytes(size_t bytes);

}  // namespace jobctl::protocol
