#include "common/auth/curve_keys.h"

#include <zmq.h>

namespace jobctl::auth {

bool CurveAvailable() { return zmq_has("curve") != 0; }

Result<CurveKeyPair> GenerateCurveKeyPair() {
  char pub[kZ85KeyChars + 1] = {};
  char sec[kZ85KeyChars + 1] = {};
  if (zmq_curve_keypair(pub, sec) != 0) {
    return FailedPreconditionError(
        "cannot create a CURVE key pair: this libzmq has no CURVE support (built without "
        "libsodium)");
  }
  return CurveKeyPair{pub, sec};
}

Result<std::string> Z85DecodeKey(std::string_view z85, std::string_view what) {
  if (z85.size() != kZ85KeyChars) {
    return InvalidArgumentError(std::string(what) + ": expected a " +
                                std::to_string(kZ85KeyChars) + "-character Z85 key, got " +
                                std::to_string(z85.size()) + " characters");
  }
  std::string text(z85);
  std::string raw(kKeyBytes, '\0');
  if (zmq_z85_decode(reinterpret_cast<uint8_t*>(raw.data()), text.c_str()) == nullptr) {
    return InvalidArgumentError(std::string(what) + ": not a Z85 key");
  }
  return raw;
}

std::string Z85EncodeKey(std::string_view raw32) {
  char out[kZ85KeyChars + 1] = {};
  zmq_z85_encode(out, reinterpret_cast<const uint8_t*>(raw32.data()), kKeyBytes);
  return out;
}

Result<std::string> CurvePublicFromSecret(std::string_view secret_z85) {
  JOBCTL_ASSIGN_OR_RETURN(std::string raw, Z85DecodeKey(secret_z85, "secret key"));
  (void)raw;
  std::string secret(secret_z85);
  char pub[kZ85KeyChars + 1] = {};
  if (zmq_curve_public(pub, secret.c_str()) != 0) {
    return FailedPreconditionError("cannot derive a CURVE public key: no CURVE support in libzmq");
  }
  return std::string(pub);
}

}  // namespace jobctl::auth
