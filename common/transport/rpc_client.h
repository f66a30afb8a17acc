// RpcClient: request/reply to the controller over a ZeroMQ DEALER socket,
// every call bounded by a timeout.
//
// Replies are matched by request id; a late reply to a call that timed out is
// read and dropped by the next call. A dead or absent controller gives
// kUnavailable naming the endpoint once the timeout passes; a call never
// blocks longer than its timeout.
//
// Thread-safety: not thread-safe (a ZeroMQ socket belongs to one thread).
// Use one RpcClient per thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <zmq.hpp>

#include "common/protocol/codec.h"
#include "common/status.h"

namespace jobctl {

class RpcClient {
 public:
  // `context` must outlive the client.
  RpcClient(zmq::context_t& context, std::string endpoint);
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

  zmq::context_t& context_;
  std::string endpoint_;
  std::unique_ptr<zmq::socket_t> socket_;
  uint64_t last_request_id_ = 0;
};

}  // namespace jobctl
