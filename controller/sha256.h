// SHA-256 (FIPS 180-4), used to name code archives by their content.
//
// Thread-safety: Sha256 objects are not shared; Sha256Hex is a pure function.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace jobctl::controller {

// Incremental hasher: Update() any number of times, then Finish() once.
class Sha256 {
 public:
  Sha256();
  void Update(std::string_view data);
  // Returns the 32-byte digest. The object must not be used afterwards.
  std::array<uint8_t, 32> Finish();

 private:
  void Compress(const uint8_t* block);

  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> buffer_{};
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

// Lowercase hex digest of `data` (64 characters).
std::string Sha256Hex(std::string_view data);

}  // namespace jobctl::controller
