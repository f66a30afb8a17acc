#include "common/protocol/codec.h"

#include <cstring>
#include <vector>

#include "common/protocol/msgpack_blobs.h"

namespace jobctl::protocol {

void to_json(nlohmann::json& j, const Blob& b) {
  // memcpy, not a char -> uint8_t conversion loop: log batches are MiBs.
  std::vector<uint8_t> bytes(b.data.size());
  if (!bytes.empty()) std::memcpy(bytes.data(), b.data.data(), b.data.size());
  j = nlohmann::json::binary(std::move(bytes));
}

void from_json(const nlohmann::json& j, Blob& b) {
  if (j.is_binary()) {
    const auto& bin = j.get_binary();
    b.data.assign(reinterpret_cast<const char*>(bin.data()), bin.size());
  } else if (j.is_string()) {
    b.data = j.get<std::string>();
  } else if (j.is_null()) {
    b.data.clear();
  } else {
    throw nlohmann::json::type_error::create(302, "blob must be binary", &j);
  }
}

std::string EncodeEnvelope(const Envelope& envelope) {
  nlohmann::json j = {{"v", envelope.version},
                      {"t", envelope.type},
                      {"id", envelope.request_id},
                      {"b", envelope.body}};
  std::string out;
  nlohmann::json::to_msgpack(j, out);
  return out;
}

std::string EncodeBody(std::string_view type, uint64_t request_id, nlohmann::json&& body) {
  // The same map as EncodeEnvelope (nlohmann orders keys), with the body
  // moved in rather than copied.
  nlohmann::json j = nlohmann::json::object();
  j["v"] = kProtocolVersion;
  j["t"] = std::string(type);
  j["id"] = request_id;
  j["b"] = std::move(body);
  std::string out;
  nlohmann::json::to_msgpack(j, out);
  return out;
}

Result<Envelope> DecodeEnvelope(std::string_view frame) {
  if (frame.size() > kMaxFrameBytes) {
    return InvalidArgumentError("frame of " + std::to_string(frame.size()) +
                                " bytes exceeds the limit");
  }
  nlohmann::json j = ParseMsgpackWithBlobs(frame);  // from_msgpack, fast for big bins
  if (j.is_discarded() || !j.is_object()) {
    return InvalidArgumentError("malformed frame: not a MessagePack map");
  }
  Envelope e;
  auto v = j.find("v");
  auto t = j.find("t");
  auto id = j.find("id");
  auto b = j.find("b");
  if (v == j.end() || !v->is_number_integer() || t == j.end() || !t->is_string() || id == j.end() ||
      !id->is_number_unsigned() || b == j.end()) {
    // id 0 is encoded as an unsigned integer by nlohmann, so this holds for every valid frame.
    return InvalidArgumentError("malformed frame: missing v, t, id or b");
  }
  e.version = v->get<int>();
  if (e.version != kProtocolVersion) {
    return FailedPreconditionError("protocol version " + std::to_string(e.version) +
                                   " is not supported (this side speaks " +
                                   std::to_string(kProtocolVersion) + ")");
  }
  e.type = t->get<std::string>();
  e.request_id = id->get<uint64_t>();
  e.body = std::move(*b);
  return e;
}

std::string EncodeError(const Status& status, uint64_t request_id) {
  ErrorReply r;
  r.code = std::string(StatusCodeName(status.code()));
  r.message = status.message();
  return Encode(r, request_id);
}

Status StatusFromErrorReply(const Envelope& envelope) {
  auto r = DecodeBody<ErrorReply>(envelope);
  if (!r.ok()) return r.status();
  static constexpr StatusCode kCodes[] = {
      StatusCode::kInvalidArgument,  StatusCode::kNotFound,
      StatusCode::kAlreadyExists,    StatusCode::kFailedPrecondition,
      StatusCode::kPermissionDenied, StatusCode::kResourceExhausted,
      StatusCode::kUnavailable,      StatusCode::kDeadlineExceeded,
      StatusCode::kCancelled,        StatusCode::kInternal};
  for (StatusCode c : kCodes) {
    if (StatusCodeName(c) == r->code) return Status(c, r->message);
  }
  return InternalError(r->message);
}

namespace internal {

bool HasFloat(const nlohmann::json& j) {
  if (j.is_number_float()) return true;
  if (j.is_object() || j.is_array()) {
    for (const auto& item : j) {
      if (HasFloat(item)) return true;
    }
  }
  return false;
}

nlohmann::json ZeroFloats(const nlohmann::json& j) {
  if (j.is_number_float()) return 0.0;
  if (j.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [key, value] : j.items()) out[key] = ZeroFloats(value);
    return out;
  }
  if (j.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& item : j) out.push_back(ZeroFloats(item));
    return out;
  }
  return j;
}

namespace {

Status CheckAt(const nlohmann::json& body, const nlohmann::json& shape, const std::string& path,
               const std::string& type) {
  if (body.is_number_float()) {
    if (shape.is_number_integer() || shape.is_number_unsigned()) {
      return InvalidArgumentError("malformed '" + type + "' message: " + path +
                                  ": expected an integer, got " + body.dump());
    }
    return Status::Ok();
  }
  if (body.is_object() && shape.is_object()) {
    for (const auto& [key, value] : body.items()) {
      auto it = shape.find(key);
      if (it != shape.end()) JOBCTL_RETURN_IF_ERROR(CheckAt(value, *it, path + "." + key, type));
    }
  } else if (body.is_array() && shape.is_array()) {
    for (size_t i = 0; i < body.size() && i < shape.size(); ++i) {
      JOBCTL_RETURN_IF_ERROR(
          CheckAt(body[i], shape[i], path + "[" + std::to_string(i) + "]", type));
    }
  }
  return Status::Ok();
}

}  // namespace

Status CheckIntegerFields(const nlohmann::json& body, const nlohmann::json& shape,
                          const std::string& type) {
  return CheckAt(body, shape, "body", type);
}

}  // namespace internal

}  // namespace jobctl::protocol
