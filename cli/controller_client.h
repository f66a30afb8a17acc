// ControllerClient: the CLI's typed calls to the controller, each bounded by
// a timeout, plus the mapping from a failed call to a message and exit status.
//
// Before the first call (and after a failure) it probes a tcp:// endpoint with
// a plain TCP connect, so a controller that is not listening is reported at
// once ("connection refused") rather than after the whole timeout.
//
// Thread-safety: not thread-safe (owns a ZeroMQ socket); one per thread.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <zmq.hpp>

#include "common/auth/client_credentials.h"
#include "common/protocol/messages.h"
#include "common/status.h"
#include "common/transport/rpc_client.h"

namespace jobctl::cli {

// Tries a TCP connect to a tcp://HOST:PORT endpoint within `timeout`.
// OK for other transports (ipc://) since they cannot be probed this way.
// kUnavailable with the system's reason ("connection refused") otherwise.
Status ProbeEndpoint(const std::string& endpoint, std::chrono::milliseconds timeout);

class ControllerClient {
 public:
  // Without credentials the client speaks plain text (tests of fake
  // controllers only; the real controller requires CURVE).
  ControllerClient(std::string endpoint, std::chrono::milliseconds timeout,
                   std::optional<auth::ClientCredentials> creds = std::nullopt);

  const std::string& endpoint() const { return endpoint_; }
  const std::optional<auth::ClientCredentials>& credentials() const { return creds_; }
  std::chrono::milliseconds timeout() const { return timeout_; }

  // Sends `request` and returns the typed reply. `extra` lengthens the timeout
  // of this call (for long polls). kUnavailable / kDeadlineExceeded mean the
  // controller could not be reached.
  template <typename Rep, typename Req>
  Result<Rep> Call(const Req& request, std::chrono::milliseconds extra = std::chrono::milliseconds(0)) {
    if (!probed_) {
      JOBCTL_RETURN_IF_ERROR(ProbeEndpoint(endpoint_, timeout_));
      probed_ = true;
    }
    auto reply = rpc_->Call<Rep>(request, timeout_ + extra);
    if (!reply.ok() && IsUnreachable(reply.status())) probed_ = false;
    return reply;
  }

  static bool IsUnreachable(const Status& status) {
    return status.code() == StatusCode::kUnavailable ||
           status.code() == StatusCode::kDeadlineExceeded;
  }

 private:
  std::string endpoint_;
  std::chrono::milliseconds timeout_;
  std::optional<auth::ClientCredentials> creds_;
  zmq::context_t context_;
  std::unique_ptr<RpcClient> rpc_;
  bool probed_ = false;
};

// Prints the message for a failed call to stderr and returns the exit status:
// 3 for an unreachable controller ("jobctl: cannot reach the controller at
// ENDPOINT: DETAIL"), 4 for refused credentials or a request these
// credentials may not make ("jobctl: permission denied: DETAIL"), 2 for not
// found / invalid argument, 1 otherwise.
int ReportError(const Status& status, const std::string& endpoint);

}  // namespace jobctl::cli
