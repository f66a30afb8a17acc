// Fast decoding of MessagePack frames that carry large `bin` values.
//
// nlohmann::json reads a `bin` value one byte at a time (a bounds check and a
// push_back per byte), which made decoding the dominant cost of a MiB log
// batch. ParseMsgpackWithBlobs walks the frame's structure (lengths only),
// lifts every `bin` of at least kMinLiftedBlob bytes out of it, lets nlohmann
// parse the small remainder, and puts each lifted value back as a binary with
// one memcpy. The result is the json that nlohmann::json::from_msgpack gives
// for the frame. Frames it cannot walk (malformed, or using the ext type it
// uses as a placeholder) are parsed by nlohmann as they are, so errors are
// nlohmann's.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

namespace jobctl::protocol {

inline constexpr size_t kMinLiftedBlob = 4096;

// Like nlohmann::json::from_msgpack(frame, strict=true, allow_exceptions=false):
// a discarded value when the frame is not valid MessagePack.
nlohmann::json ParseMsgpackWithBlobs(std::string_view frame);

}  // namespace jobctl::protocol
