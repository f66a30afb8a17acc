// CURVE key pairs for ZeroMQ's CurveZMQ security (libzmq built with
// libsodium). Keys are kept in Z85 text form (40 characters), as ZeroMQ's
// socket options take them.
//
// Thread-safety: free functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace jobctl::auth {

inline constexpr size_t kZ85KeyChars = 40;
inline constexpr size_t kKeyBytes = 32;

struct CurveKeyPair {
  std::string public_key;  // Z85, 40 characters
  std::string secret_key;  // Z85, 40 characters
};

// True when libzmq was built with CURVE support.
bool CurveAvailable();

// A fresh key pair from libsodium's random source.
Result<CurveKeyPair> GenerateCurveKeyPair();

// The public key that belongs to a Z85 secret key.
Result<std::string> CurvePublicFromSecret(std::string_view secret_z85);

// Z85 <-> 32 raw bytes, with errors naming `what`.
Result<std::string> Z85DecodeKey(std::string_view z85, std::string_view what);
std::string Z85EncodeKey(std::string_view raw32);

}  // namespace jobctl::auth
