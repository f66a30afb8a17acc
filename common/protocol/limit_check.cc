#include "common/protocol/limit_check.h"

#include <cstdio>

#include "common/protocol/limits.h"

namespace jobctl::protocol {

std::string FormatLimitBytes(size_t bytes) {
  auto whole_or_one_decimal = [](double v, const char* unit) {
    char buf[64];
    if (v == static_cast<double>(static_cast<size_t>(v))) {
      std::snprintf(buf, sizeof(buf), "%zu %s", static_cast<size_t>(v), unit);
    } else {
      std::snprintf(buf, sizeof(buf), "%.1f %s", v, unit);
    }
    return std::string(buf);
  };
  if (bytes >= kMiB) return whole_or_one_decimal(static_cast<double>(bytes) / kMiB, "MiB");
  if (bytes >= kKiB) return whole_or_one_decimal(static_cast<double>(bytes) / kKiB, "KiB");
  return std::to_string(bytes) + " bytes";
}

LimitCheck& LimitCheck::Bytes(std::string_view field, size_t size, size_t limit,
                              std::string_view name) {
  if (ok() && size > limit) {
    // Exact byte counts when the rounded figures could read the same
    // (within 5% of the limit).
    bool close = (size - limit) * 20 < limit;
    std::string got = close ? std::to_string(size) + " bytes" : FormatLimitBytes(size);
    std::string max = close ? std::to_string(limit) + " bytes" : FormatLimitBytes(limit);
    Fail(field, std::move(got), std::move(max), name);
  }
  return *this;
}

LimitCheck& LimitCheck::Count(std::string_view field, size_t count, size_t limit,
                              std::string_view name) {
  if (ok() && count > limit) {
    Fail(field, std::to_string(count) + " entries", std::to_string(limit), name);
  }
  return *this;
}

void LimitCheck::Fail(std::string_view field, std::string got, std::string limit,
                      std::string_view name) {
  limit_ = std::string(name);
  message_ = context_ + ": " + std::string(field) + " is " + got + ", over the limit of " + limit +
             " (" + std::string(name) + ")";
}

Status LimitCheck::status() const { return ok() ? Status::Ok() : InvalidArgumentError(message_); }

}  // namespace jobctl::protocol
