// Names for the GPU tests' parameterised cases: short float text and gtest
// parameter names built from a case's description.
//
// Thread-safety: pure functions.
#pragma once

#include <cctype>
#include <cstddef>
#include <cstdio>
#include <string>

namespace jobctl::trainer::gpu::test_names {

// A float as "%g" writes it, for parameter names.
inline std::string Short(float value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g", static_cast<double>(value));
  return text;
}

// A gtest parameter name: `text` with every other character than letters
// and digits as '_', then the index (names stay unique).
inline std::string ParamName(std::string text, size_t index) {
  for (char& c : text) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return text + "_" + std::to_string(index);
}

}  // namespace jobctl::trainer::gpu::test_names
