// RpcClient: request/reply to the controller over a ZeroMQ DEALER socket,
// every call bounded by a timeout.
//
// Replies are matched by request id; a late reply to a call that timed out is
// read and dropped by the next call. A dead or absent controller gives
// kUnavailable naming the endpoint once the timeout passes; a call never
// blocks longer than its timeout.
//
// With credentials the socket is a CURVE client (auth::ApplyClientCurve) and
// is watched by a socket monitor (an inproc PAIR socket polled together with
// the DEALER): a controller that refuses the key (ZAP 400, seen as
// ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) gives kPermissionDenied at once instead of
// a timeout; a timeout after a connection whose handshake never completed
// says so as a hint.
//
// Thread-safety: not thread-safe (a ZeroMQ socket belongs to one thread).
// Use one RpcClient per thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <zmq.hpp>

#include "common/auth/client_credentials.h"
#include "common/protocol/codec.h"
#include "common/status.h"
#include "common/transport/socket_monitor.h"

namespace jobctl {

// The message of a refused CURVE handshake (docs/security.md).
std::string RefusedCredentialsMessage(const std::string& endpoint);

class RpcClient {
 public:
  // `context` must outlive the client. Without credentials the socket speaks
  // plain text (only servers without authentication answer it).
  RpcClient(zmq::context_t& context, std::string endpoint,
            std::optional<auth::ClientCredentials> creds = std::nullopt);
  ~RpcClient();
  RpcClient(const RpcClient&) = delete;
  RpcClient& operator=(const RpcClient&) = delete;

  const std::string& endpoint() const { return endpoint_; }

  // Sends `frame` (an encoded envelope with `request_id`) and waits for the
  // reply with the same id. ErrorReply envelopes are returned as they are.
  Result<protocol::Envelope> CallRaw(const std::string& frame, uint64_t request_id,
                                     std::chrono::milliseconds timeout);

  // Typed call: an ErrorReply becomes its Status.
  template <typename Rep, typename Req>
  Result<Rep> Call(const Req& request, std::chrono::milliseconds timeout) {
    uint64_t id = NextRequestId();
    auto env = CallRaw(protocol::Encode(request, id), id, timeout);
    if (!env.ok()) return env.status();
    if (env->type == protocol::ErrorReply::kType) return protocol::StatusFromErrorReply(*env);
    return protocol::DecodeBody<Rep>(*env);
  }

  uint64_t NextRequestId() { return ++last_request_id_; }

 private:
  void Connect();
  // Reads every queued monitor event; kPermissionDenied after a refused key.
  Status DrainMonitor();

  zmq::context_t& context_;
  std::string endpoint_;
  std::optional<auth::ClientCredentials> creds_;
  std::unique_ptr<zmq::socket_t> socket_;
  std::unique_ptr<SocketMonitor> monitor_;  // with credentials; declared after socket_
  bool connected_ = false;                  // a TCP connection was made (this socket)
  bool handshake_ok_ = false;               // a handshake completed (this socket)
  std::string handshake_problem_;           // the last failed handshake, for the hint
  uint64_t last_request_id_ = 0;
};

}  // namespace jobctl
