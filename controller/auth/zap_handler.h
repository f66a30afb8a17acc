// ZapHandler: the ZeroMQ Authentication Protocol handler (ZAP, RFC 27) of
// the controller's CURVE server socket.
//
// libzmq asks it about every CURVE handshake on a socket of the same
// context: a thread answers on a REP socket bound to inproc://zeromq.zap.01.
// A client whose public key is in the CredentialRegistry gets 200 with the
// credential's id as User-Id (every message of the connection then carries
// it as the "User-Id" property); any other key, and any other mechanism,
// gets 400, and the refusal is logged with the peer's address and counted.
//
// Thread-safety: Start() and Stop() from one thread; counters from any.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <thread>
#include <zmq.hpp>

#include "common/status.h"
#include "controller/auth/credential_registry.h"
#include "controller/auth/refusal.h"

namespace jobctl::controller::auth {

inline constexpr char kZapEndpoint[] = "inproc://zeromq.zap.01";

class ZapHandler {
 public:
  // `context` and `registry` must outlive the handler.
  ZapHandler(zmq::context_t& context, const CredentialRegistry* registry);
  ~ZapHandler();
  ZapHandler(const ZapHandler&) = delete;
  ZapHandler& operator=(const ZapHandler&) = delete;

  // Binds the ZAP endpoint (so handshakes are checked from the moment this
  // returns) and starts the thread. AlreadyExists when the context already
  // has a ZAP handler.
  Status Start();
  void Stop();
  bool running() const { return thread_.joinable(); }

  uint64_t accepted() const { return accepted_.load(); }
  const RefusalLog& refusals() const { return refusals_; }

 private:
  void Serve();
  void Answer(std::vector<zmq::message_t>& request);

  zmq::context_t& context_;
  const CredentialRegistry* registry_;
  std::unique_ptr<zmq::socket_t> socket_;  // owned by the thread once started
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> accepted_{0};
  RefusalLog refusals_;
};

}  // namespace jobctl::controller::auth
