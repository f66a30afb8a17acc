// Framing and encoding of protocol messages.
//
// A frame on the wire is one ZeroMQ message holding MessagePack of
//   {"v": kProtocolVersion, "t": <kType>, "id": <request id>, "b": <body>}
// (ROUTER/DEALER identity frames come before it, handled by ZeroMQ).
// Decoding never throws: a malformed, truncated or wrong-version frame
// becomes a Status.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/protocol/messages.h"
#include "common/status.h"

namespace jobctl::protocol {

// Largest frame a peer accepts (code archives dominate).
inline constexpr size_t kMaxFrameBytes = 128u << 20;

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
template <typename M>
Result<M> DecodeBody(const Envelope& envelope) {
  if (envelope.type != M::kType) {
    return InvalidArgumentError("expected message '" + std::string(M::kType) + "', got '" +
                                envelope.type + "'");
  }
  try {
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
