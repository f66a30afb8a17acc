// "Did you mean" suggestions for misspelt keys and enum values.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace jobctl {

// Optimal-string-alignment distance: insertions, deletions, substitutions and
// transpositions of adjacent characters each cost 1 ("cuont" -> "count" is 1).
std::size_t EditDistance(std::string_view a, std::string_view b);

// The candidate closest to `word`, if it is close enough to be a plausible
// typo (distance at most max(2, length/3), or one is a prefix of the other
// when the shorter has at least 3 characters). Ties go to the earliest
// candidate. Returns nullopt when nothing is close.
std::optional<std::string> ClosestMatch(std::string_view word,
                                        std::span<const std::string_view> candidates);

}  // namespace jobctl
