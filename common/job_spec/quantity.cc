#include "common/job_spec/quantity.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <string>

namespace jobctl {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Unsigned decimal digits only, overflow-checked.
std::optional<int64_t> ParseDigits(std::string_view text) {
  if (text.empty()) return std::nullopt;
  for (char c : text) {
    if (!IsDigit(c)) return std::nullopt;
  }
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<int64_t> ParseInteger(std::string_view text) {
  bool negative = false;
  if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  std::optional<int64_t> magnitude = ParseDigits(text);
  if (!magnitude) return std::nullopt;
  return negative ? -*magnitude : *magnitude;
}

std::optional<double> ParseNumber(std::string_view text) {
  if (text.empty()) return std::nullopt;
  // Only decimal notation: digits, one '.', an exponent, a leading sign.
  for (char c : text) {
    if (!IsDigit(c) && c != '.' && c != 'e' && c != 'E' && c != '+' && c != '-') {
      return std::nullopt;
    }
  }
  std::string_view body = text;
  if (body.front() == '+') body.remove_prefix(1);  // from_chars rejects '+'
  if (body.empty()) return std::nullopt;
  double value = 0;
  auto [end, error] = std::from_chars(body.data(), body.data() + body.size(), value);
  if (error != std::errc() || end != body.data() + body.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

std::optional<int64_t> ParseMemorySize(std::string_view text) {
  std::size_t number_end = 0;
  while (number_end < text.size() && (IsDigit(text[number_end]) || text[number_end] == '.')) {
    ++number_end;
  }
  std::string_view number = text.substr(0, number_end);
  std::string_view suffix = text.substr(number_end);
  if (number.empty() || number.front() == '.' || number.back() == '.') return std::nullopt;
  if (suffix.size() > 1 && suffix.back() == 'B') suffix.remove_suffix(1);  // "GiB", "GB"
  long double multiplier = 0;
  if (suffix.empty()) {
    multiplier = 1;
  } else if (suffix.size() == 2 && suffix[1] == 'i') {
    constexpr std::string_view kBinary = "KMGTP";
    std::size_t power = kBinary.find(suffix[0]);
    if (power == std::string_view::npos) return std::nullopt;
    multiplier = std::pow(1024.0L, static_cast<long double>(power + 1));
  } else if (suffix.size() == 1) {
    constexpr std::string_view kDecimal = "KMGTP";
    char unit = suffix[0] == 'k' ? 'K' : suffix[0];
    std::size_t power = kDecimal.find(unit);
    if (power == std::string_view::npos) return std::nullopt;
    multiplier = std::pow(1000.0L, static_cast<long double>(power + 1));
  } else {
    return std::nullopt;
  }
  std::optional<double> value = ParseNumber(number);
  if (!value) return std::nullopt;
  if (multiplier == 1 && number.find('.') != std::string_view::npos) return std::nullopt;
  long double bytes = std::round(static_cast<long double>(*value) * multiplier);
  // Half of int64's range leaves room for sums of sizes.
  constexpr int64_t kMaxBytes = std::numeric_limits<int64_t>::max() / 2;
  if (bytes > static_cast<long double>(kMaxBytes)) {
    return std::nullopt;
  }
  return static_cast<int64_t>(bytes);
}

std::optional<int64_t> ParseDurationSeconds(std::string_view text) {
  if (std::optional<int64_t> plain = ParseDigits(text)) return plain;
  if (text.empty()) return std::nullopt;
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max() / 4;
  int64_t total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t digits_end = i;
    while (digits_end < text.size() && IsDigit(text[digits_end])) ++digits_end;
    if (digits_end == i || digits_end == text.size()) return std::nullopt;
    std::optional<int64_t> amount = ParseDigits(text.substr(i, digits_end - i));
    if (!amount) return std::nullopt;
    int64_t unit = 0;
    switch (text[digits_end]) {
      case 's':
        unit = 1;
        break;
      case 'm':
        unit = 60;
        break;
      case 'h':
        unit = 3600;
        break;
      case 'd':
        unit = 86400;
        break;
      default:
        return std::nullopt;
    }
    if (*amount > (kMax - total) / unit) return std::nullopt;
    total += *amount * unit;
    i = digits_end + 1;
  }
  return total;
}

}  // namespace jobctl
