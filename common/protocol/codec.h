// Framing and encoding of protocol messages.
//
// A frame on the wire is one ZeroMQ message holding MessagePack of
//   {"v": kProtocolVersion, "t": <kType>, "id": <request id>, "b": <body>}
// (ROUTER/DEALER identity frames come before it, handled by ZeroMQ).
// Decoding never throws: a malformed, truncated or wrong-version frame
// becomes a Status.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/protocol/limits.h"
#include "common/protocol/messages.h"
#include "common/status.h"

namespace jobctl::protocol {

// kMaxFrameBytes, the largest frame a peer accepts, is in limits.h.

struct Envelope {
  int version = kProtocolVersion;
  std::string type;
  uint64_t request_id = 0;
  nlohmann::json body;
};

std::string EncodeEnvelope(const Envelope& envelope);
Result<Envelope> DecodeEnvelope(std::string_view frame);
// The frame of an envelope of the current version holding `body`.
std::string EncodeBody(std::string_view type, uint64_t request_id, nlohmann::json&& body);

template <typename M>
std::string Encode(const M& message, uint64_t request_id) {
  return EncodeBody(M::kType, request_id, nlohmann::json(message));
}

// Converts an envelope's body into M. Fails if the type does not match or a
// field has the wrong type.
namespace internal {
// Whether `j` holds a floating-point number anywhere.
bool HasFloat(const nlohmann::json& j);
// `j` with every floating-point number replaced by 0.0.
nlohmann::json ZeroFloats(const nlohmann::json& j);
// An error naming the first place where `body` has a float and `shape` (the
// same message decoded and encoded again) has an integer.
Status CheckIntegerFields(const nlohmann::json& body, const nlohmann::json& shape,
                          const std::string& type);
}  // namespace internal

template <typename M>
Result<M> DecodeBody(const Envelope& envelope) {
  if (envelope.type != M::kType) {
    return InvalidArgumentError("expected message '" + std::string(M::kType) + "', got '" +
                                envelope.type + "'");
  }
  try {
    if (internal::HasFloat(envelope.body)) {
      // nlohmann-json casts a float into an integer field unchecked (UB when
      // it does not fit): learn which fields are integers from a decode with
      // every float zeroed, and refuse floats there.
      nlohmann::json shape = internal::ZeroFloats(envelope.body).get<M>();
      JOBCTL_RETURN_IF_ERROR(internal::CheckIntegerFields(envelope.body, shape, envelope.type));
    }
    return envelope.body.get<M>();
  } catch (const std::exception& e) {
    return InvalidArgumentError("malformed '" + envelope.type + "' message: " + e.what());
  }
}

// An ErrorReply frame for a failed request.
std::string EncodeError(const Status& status, uint64_t request_id);
// The Status an ErrorReply envelope carries.
Status StatusFromErrorReply(const Envelope& envelope);

}  // namespace jobctl::protocol
