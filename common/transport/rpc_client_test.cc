// RpcClient against a CURVE ROUTER with a ZAP handler in the same process.
#include "common/transport/rpc_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "common/auth/curve_keys.h"
#include "common/protocol/messages.h"

namespace jobctl {
namespace {

using std::chrono::milliseconds;

// A ROUTER that answers pings, as a CURVE server whose ZAP handler knows
// `known` client public keys, or in plain text when `curve` is false.
class TestServer {
 public:
  TestServer(bool curve, std::set<std::string> known) : known_(std::move(known)) {
    auto keys = auth::GenerateCurveKeyPair();
    EXPECT_TRUE(keys.ok());
    keys_ = *keys;
    if (curve) {
      zap_ = zmq::socket_t(context_, zmq::socket_type::rep);
      zap_.bind("inproc://zeromq.zap.01");
    }
    router_ = zmq::socket_t(context_, zmq::socket_type::router);
    router_.set(zmq::sockopt::linger, 0);
    if (curve) {
      router_.set(zmq::sockopt::curve_server, 1);
      router_.set(zmq::sockopt::curve_secretkey, keys_.secret_key);
    }
    router_.bind("tcp://127.0.0.1:*");
    endpoint_ = router_.get(zmq::sockopt::last_endpoint);
    thread_ = std::thread([this, curve] { Loop(curve); });
  }
  ~TestServer() {
    stop_ = true;
    thread_.join();
  }
  const std::string& endpoint() const { return endpoint_; }
  const std::string& public_key() const { return keys_.public_key; }

 private:
  void Loop(bool curve) {
    while (!stop_) {
      zmq::pollitem_t items[2] = {{static_cast<void*>(router_), 0, ZMQ_POLLIN, 0},
                                  {curve ? static_cast<void*>(zap_) : nullptr, 0, ZMQ_POLLIN, 0}};
      zmq::poll(items, curve ? 2 : 1, milliseconds(20));
      if (curve && (items[1].revents & ZMQ_POLLIN)) AnswerZap();
      if (items[0].revents & ZMQ_POLLIN) {
        zmq::message_t id, body;
        (void)router_.recv(id);
        (void)router_.recv(body);
        auto env = protocol::DecodeEnvelope(body.to_string_view());
        if (!env.ok()) continue;
        std::string reply = protocol::Encode(protocol::PingReply{"test", 1, 0}, env->request_id);
        router_.send(id, zmq::send_flags::sndmore);
        router_.send(zmq::buffer(reply));
      }
    }
  }
  // ZAP 1.0: version, request id, domain, address, identity, mechanism, key.
  void AnswerZap() {
    std::vector<zmq::message_t> frames;
    do {
      frames.emplace_back();
      (void)zap_.recv(frames.back());
    } while (frames.back().more());
    bool ok = frames.size() >= 7 &&
              known_.count(auth::Z85EncodeKey(std::string(frames[6].to_string_view()))) > 0;
    std::vector<std::string> reply = {"1.0",
                                      frames.size() > 1 ? frames[1].to_string() : "",
                                      ok ? "200" : "400",
                                      ok ? "OK" : "unknown key",
                                      ok ? "tester" : "",
                                      ""};
    for (size_t i = 0; i < reply.size(); ++i) {
      zap_.send(zmq::buffer(reply[i]),
                i + 1 < reply.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
  }

  zmq::context_t context_;
  zmq::socket_t zap_;
  zmq::socket_t router_;
  auth::CurveKeyPair keys_;
  std::set<std::string> known_;
  std::string endpoint_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

auth::ClientCredentials Credentials(const std::string& server_public) {
  auto client = auth::GenerateCurveKeyPair();
  EXPECT_TRUE(client.ok());
  return auth::ClientCredentials{server_public, client->public_key, client->secret_key};
}

TEST(RpcClientTest, KnownKeyGetsAnswers) {
  auto creds = Credentials("");
  TestServer server(true, {creds.client_public});
  creds.server_public = server.public_key();
  zmq::context_t context;
  RpcClient client(context, server.endpoint(), creds);
  for (int i = 0; i < 3; ++i) {
    auto reply = client.Call<protocol::PingReply>(protocol::PingRequest{}, milliseconds(5000));
    ASSERT_TRUE(reply.ok()) << reply.status().ToString();
    EXPECT_EQ(reply->version, "test");
  }
}

TEST(RpcClientTest, RefusedKeyIsPermissionDeniedNotATimeout) {
  TestServer server(true, {});
  zmq::context_t context;
  RpcClient client(context, server.endpoint(), Credentials(server.public_key()));
  // A long timeout: the refusal must end the call, not the clock.
  auto reply = client.Call<protocol::PingReply>(protocol::PingRequest{}, milliseconds(60000));
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), StatusCode::kPermissionDenied) << reply.status().ToString();
  EXPECT_EQ(reply.status().message(), RefusedCredentialsMessage(server.endpoint()));
  // And again on the next call (the client made a fresh socket).
  auto again = client.Call<protocol::PingReply>(protocol::PingRequest{}, milliseconds(60000));
  EXPECT_EQ(again.status().code(), StatusCode::kPermissionDenied) << again.status().ToString();
}

TEST(RpcClientTest, WrongServerKeyTimesOutWithAHint) {
  TestServer server(true, {});
  auto other = auth::GenerateCurveKeyPair();
  ASSERT_TRUE(other.ok());
  zmq::context_t context;
  RpcClient client(context, server.endpoint(), Credentials(other->public_key));
  auto reply = client.Call<protocol::PingReply>(protocol::PingRequest{}, milliseconds(1500));
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), StatusCode::kUnavailable) << reply.status().ToString();
  EXPECT_NE(reply.status().message().find("handshake"), std::string::npos)
      << reply.status().message();
}

TEST(RpcClientTest, PlainClientOfAPlainServer) {
  TestServer server(false, {});
  zmq::context_t context;
  RpcClient client(context, server.endpoint());
  auto reply = client.Call<protocol::PingReply>(protocol::PingRequest{}, milliseconds(5000));
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
}

TEST(RpcClientTest, PlainClientOfACurveServerGetsNoAnswer) {
  TestServer server(true, {});
  zmq::context_t context;
  RpcClient client(context, server.endpoint());
  auto reply = client.Call<protocol::PingReply>(protocol::PingRequest{}, milliseconds(500));
  EXPECT_EQ(reply.status().code(), StatusCode::kUnavailable) << reply.status().ToString();
}

}  // namespace
}  // namespace jobctl
