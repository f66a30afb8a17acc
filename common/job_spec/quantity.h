// Parsing of the scalar quantities a job spec holds: strict integers and
// numbers, memory sizes ("512Mi", "4Gi", "2G", "1000000") and durations
// ("30s", "10m", "2h", "1h30m", "3600").
//
// Each returns nullopt when the text is not exactly one well-formed value in
// range; surrounding whitespace is not accepted. Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace jobctl {

// Decimal integer with an optional sign: "42", "-3", "+7". No "2.0", no "0x10".
std::optional<int64_t> ParseInteger(std::string_view text);

// Finite decimal number: "4", "0.5", "1e-3". No "nan", "inf", hex floats.
std::optional<double> ParseNumber(std::string_view text);

// Bytes. A non-negative number (decimals allowed with a suffix) followed by an
// optional suffix: k/K, M, G, T, P (powers of 1000), Ki, Mi, Gi, Ti, Pi (powers
// of 1024), each optionally followed by "B" ("4GiB", "2GB"); or a plain number
// of bytes. The result is rounded to the nearest byte.
std::optional<int64_t> ParseMemorySize(std::string_view text);

// Seconds. Either a plain non-negative integer of seconds or a sequence of
// <integer><unit> parts with units s, m, h, d ("30s", "10m", "1h30m").
std::optional<int64_t> ParseDurationSeconds(std::string_view text);

}  // namespace jobctl
