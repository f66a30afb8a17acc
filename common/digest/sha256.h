// Streaming SHA-256 over OpenSSL's EVP interface (hardware-accelerated where
// the CPU has SHA extensions). Used to name and check output blobs end to end:
// the agent hashes what it uploads, the controller hashes what it stores, the
// CLI hashes what it downloads.
//
// Thread-safety: a Sha256Stream is used by one thread at a time; the free
// functions are thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace jobctl::digest {

class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(Sha256Stream&&) noexcept;
  Sha256Stream& operator=(Sha256Stream&&) noexcept;
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;

  void Update(std::string_view data);
  // Lowercase hex digest (64 characters). The stream starts over afterwards.
  std::string FinishHex();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Hex digest of `data`.
std::string Sha256Hex(std::string_view data);

// Hex digest of a file, read in 1 MiB pieces (never whole into memory).
// `size` gets the number of bytes hashed when not null.
Result<std::string> Sha256File(const std::string& path, int64_t* size = nullptr);

// True for 64 lowercase hex characters.
bool IsSha256Hex(std::string_view text);

}  // namespace jobctl::digest
