// Pcg32: a small, fast, serializable random number generator (PCG-XSH-RR,
// O'Neill 2014). Its whole state is two 64-bit integers, so a checkpoint can
// save it and a resumed run continues the exact same stream.
//
// Thread-safety: not thread-safe; one owner.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace jobctl::trainer {

class Pcg32 {
 public:
  explicit Pcg32(uint64_t seed = 0, uint64_t stream = 0) { Seed(seed, stream); }

  void Seed(uint64_t seed, uint64_t stream) {
    state_ = 0;
    inc_ = (stream << 1u) | 1u;
    NextU32();
    state_ += seed;
    NextU32();
  }

  uint32_t NextU32() {
    uint64_t old = state_;
    state_ = old * 6364136223846793005ULL + inc_;
    auto xorshifted = static_cast<uint32_t>(((old >> 18u) ^ old) >> 27u);
    auto rot = static_cast<uint32_t>(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((32u - rot) & 31u));
  }

  // Uniform in [0, bound) without modulo bias. Precondition: bound > 0.
  uint32_t NextBounded(uint32_t bound) {
    uint32_t threshold = (0u - bound) % bound;
    for (;;) {
      uint32_t r = NextU32();
      if (r >= threshold) return r % bound;
    }
  }

  // Uniform in [0, 1) with 24 bits of precision.
  float NextFloat() { return static_cast<float>(NextU32() >> 8) * (1.0f / 16777216.0f); }

  // Uniform in [lo, hi).
  float Uniform(float lo, float hi) { return lo + (hi - lo) * NextFloat(); }

  // "state inc" as decimal text, and back.
  std::string Serialize() const;
  static Result<Pcg32> Deserialize(const std::string& text);

 private:
  uint64_t state_ = 0;
  uint64_t inc_ = 1;
};

}  // namespace jobctl::trainer
