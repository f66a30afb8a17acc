// The server with authentication on: real CURVE over tcp://127.0.0.1 on a
// port chosen at run time, clients on raw DEALER sockets with
// auth::ApplyClientCurve.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <thread>

#include "common/auth/client_credentials.h"
#include "common/protocol/log_records.h"
#include "controller/auth/access_policy.h"
#include "controller/auth/authenticator.h"
#include "controller/auth/key_store.h"
#include "controller/memory_state_store.h"
#include "controller/paths.h"
#include "controller/server.h"
#include "controller/server_test_util.h"
#include "controller/sqlite_state_store.h"

namespace jobctl::controller {
namespace {

using namespace std::chrono_literals;
using jobctl::auth::Token;
using jobctl::auth::TokenKind;

constexpr auto kTimeout = 5000ms;
// How long a refused client waits to see that no answer comes.
constexpr auto kNoAnswer = 700ms;

// A client on a DEALER socket, CURVE when given credentials.
class Client {
 public:
  Client(zmq::context_t& ctx, const std::string& endpoint,
         const std::optional<jobctl::auth::ClientCredentials>& creds)
      : socket_(ctx, zmq::socket_type::dealer) {
    socket_.set(zmq::sockopt::linger, 0);
    jobctl::auth::ApplyClientCurve(socket_, creds);
    socket_.connect(endpoint);
  }

  template <typename Rep, typename Req>
  Result<Rep> Call(const Req& request, std::chrono::milliseconds timeout = kTimeout) {
    uint64_t id = ++next_id_;
    if (!socket_.send(zmq::buffer(protocol::Encode(request, id)), zmq::send_flags::dontwait)) {
      return UnavailableError("not sent");
    }
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      zmq::pollitem_t item{static_cast<void*>(socket_), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, 50ms);
      if (!(item.revents & ZMQ_POLLIN)) continue;
      zmq::message_t msg;
      if (!socket_.recv(msg, zmq::recv_flags::dontwait)) continue;
      auto env = protocol::DecodeEnvelope(msg.to_string_view());
      if (!env.ok() || env->request_id != id) continue;
      if (env->type == protocol::ErrorReply::kType) return protocol::StatusFromErrorReply(*env);
      return protocol::DecodeBody<Rep>(*env);
    }
    return DeadlineExceededError("no reply");
  }

 private:
  zmq::socket_t socket_;
  uint64_t next_id_ = 0;
};

jobctl::auth::ClientCredentials CredsOf(const Token& token) {
  auto creds = jobctl::auth::CredentialsFromToken(token);
  EXPECT_TRUE(creds.ok()) << creds.status().ToString();
  return creds.ok() ? *creds : jobctl::auth::ClientCredentials{};
}

Token TokenFromFile(const std::string& path) {
  auto token = jobctl::auth::ReadTokenFile(path);
  EXPECT_TRUE(token.ok()) << token.status().ToString();
  return token.ok() ? *token : Token{};
}

protocol::SubmitJobRequest SmallJob() {
  protocol::SubmitJobRequest r;
  r.spec.name = "t";
  r.spec.command = "python train.py";
  r.spec.resources.instance_count = 1;
  r.spec.distribution.process_count_per_instance = 1;
  return r;
}

// Polls `value` until it reaches `want` (bounded in count and time).
template <typename F>
bool WaitFor(F value, uint64_t want) {
  for (int i = 0; i < 500; ++i) {
    if (value() >= want) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

class ServerAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::FreshDataDir("ctl_auth");
    StartServer();
    admin_token_ = TokenFromFile(auth::AuthPathsFor(dir_.string()).admin_token);
    agent_token_ = TokenFromFile(auth::AuthPathsFor(dir_.string()).agent_token);
    admin_ = Connect(admin_token_);
  }
  void TearDown() override {
    admin_.reset();
    StopServer();
    std::filesystem::remove_all(dir_);
  }

  // The whole controller side, as jobctld builds it: init, then serve.
  void StartServer() {
    auto state = auth::InitAuth(dir_.string(), false, SystemClock::Get());
    ASSERT_TRUE(state.ok()) << state.status().ToString();
    auth_state_ = std::move(*state);
    server_ctx_ = std::make_unique<zmq::context_t>(1);
    authenticator_ = std::make_unique<auth::Authenticator>(*server_ctx_, auth_state_.controller,
                                                           auth_state_.registry.get());
    auto store = SqliteStateStore::Open(paths::StateDbPath(dir_.string()));
    ASSERT_TRUE(store.ok());
    store_ = std::move(*store);
    auto logs = LogStore::Open(paths::LogsDir(dir_.string()));
    ASSERT_TRUE(logs.ok());
    logs_ = std::move(*logs);
    ServerOptions options;
    options.listen = "tcp://127.0.0.1:*";
    options.data_dir = dir_.string();
    options.poll_interval_ms = 10;
    options.authenticator = authenticator_.get();
    server_ = std::make_unique<Server>(options, *server_ctx_, store_.get(), logs_.get(),
                                       SystemClock::Get());
    Status started = server_->Start();
    ASSERT_TRUE(started.ok()) << started.ToString();
    thread_ = std::thread([this] { ASSERT_TRUE(server_->Run().ok()); });
  }
  void StopServer() {
    if (!server_) return;
    server_->Stop();
    thread_.join();
    server_.reset();
    authenticator_.reset();
    server_ctx_.reset();
    logs_.reset();
    store_.reset();
    auth_state_ = {};
  }

  std::unique_ptr<Client> Connect(const Token& token) {
    return std::make_unique<Client>(client_ctx_, server_->endpoint(), CredsOf(token));
  }
  Token CreateUser(const std::string& name, bool admin = false) {
    auto reply =
        admin_->Call<protocol::CreateTokenReply>(protocol::CreateTokenRequest{"user", name, admin});
    EXPECT_TRUE(reply.ok()) << reply.status().ToString();
    if (!reply.ok()) return Token{};
    EXPECT_EQ(reply->info.name, name);
    auto token = jobctl::auth::ParseToken(reply->token);
    EXPECT_TRUE(token.ok());
    return token.ok() ? *token : Token{};
  }
  std::string Submit(Client& client) {
    auto reply = client.Call<protocol::SubmitJobReply>(SmallJob());
    EXPECT_TRUE(reply.ok()) << reply.status().ToString();
    return reply.ok() ? reply->job_id : "";
  }

  std::filesystem::path dir_;
  zmq::context_t client_ctx_{1};
  std::unique_ptr<zmq::context_t> server_ctx_;
  auth::AuthState auth_state_;
  std::unique_ptr<auth::Authenticator> authenticator_;
  std::unique_ptr<StateStore> store_;
  std::unique_ptr<LogStore> logs_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  Token admin_token_;
  Token agent_token_;
  std::unique_ptr<Client> admin_;
};

TEST_F(ServerAuthTest, KnownKeysAreAnsweredAndKnowWhoTheyAre) {
  auto me = admin_->Call<protocol::WhoAmIReply>(protocol::WhoAmIRequest{});
  ASSERT_TRUE(me.ok()) << me.status().ToString();
  EXPECT_EQ(me->identity.name, "admin");
  EXPECT_EQ(me->identity.kind, "user");
  EXPECT_TRUE(me->identity.admin);
  EXPECT_EQ(me->identity.id, jobctl::auth::TokenId(CredsOf(admin_token_).client_public));

  auto agent = Connect(agent_token_);
  EXPECT_TRUE(agent->Call<protocol::PingReply>(protocol::PingRequest{}).ok());
  EXPECT_EQ(server_->refused_unknown_keys(), 0u);
  EXPECT_EQ(server_->permission_denied(), 0u);
}

TEST_F(ServerAuthTest, UnknownClientKeyIsRefusedCountedAndLoggedWithTheAddress) {
  auto stranger = jobctl::auth::GenerateCurveKeyPair();
  ASSERT_TRUE(stranger.ok());
  Token token{TokenKind::kUser, auth_state_.controller.public_key, stranger->secret_key};
  auto client = Connect(token);
  auto reply = client->Call<protocol::PingReply>(protocol::PingRequest{}, kNoAnswer);
  EXPECT_EQ(reply.status().code(), StatusCode::kDeadlineExceeded);
  ASSERT_TRUE(WaitFor([&] { return server_->refused_unknown_keys(); }, 1));
  auto refusal = authenticator_->zap_refusals().last();
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(refusal->address, "127.0.0.1");
  EXPECT_NE(refusal->reason.find(jobctl::auth::TokenId(stranger->public_key)), std::string::npos)
      << refusal->reason;
}

TEST_F(ServerAuthTest, PlainTextClientIsRefusedAndCounted) {
  Client plain(client_ctx_, server_->endpoint(), std::nullopt);
  auto reply = plain.Call<protocol::PingReply>(protocol::PingRequest{}, kNoAnswer);
  EXPECT_EQ(reply.status().code(), StatusCode::kDeadlineExceeded);
  ASSERT_TRUE(WaitFor([&] { return server_->refused_handshakes(); }, 1));
  // Never let through to the ZAP handler or the dispatcher.
  EXPECT_EQ(server_->permission_denied(), 0u);
}

TEST_F(ServerAuthTest, ClientWithAnotherControllersKeyGetsNoAnswer) {
  auto other = jobctl::auth::GenerateCurveKeyPair();
  ASSERT_TRUE(other.ok());
  // A registered client key, but encrypted to another controller.
  Token token = admin_token_;
  token.server_public = other->public_key;
  auto client = Connect(token);
  auto reply = client->Call<protocol::PingReply>(protocol::PingRequest{}, kNoAnswer);
  EXPECT_EQ(reply.status().code(), StatusCode::kDeadlineExceeded);
  ASSERT_TRUE(WaitFor([&] { return server_->refused_handshakes(); }, 1));
}

TEST_F(ServerAuthTest, AgentTokenCannotSubmitJobs) {
  auto agent = Connect(agent_token_);
  protocol::RegisterNodeRequest r;
  r.node.id = "n1";
  r.node.hostname = "n1";
  r.node.cpus = 4;
  r.node.memory_bytes = int64_t{8} << 30;
  EXPECT_TRUE(agent->Call<protocol::RegisterNodeReply>(r).ok());
  auto submit = agent->Call<protocol::SubmitJobReply>(SmallJob());
  ASSERT_EQ(submit.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(submit.status().message(), "agent credentials cannot submit jobs");
  EXPECT_EQ(agent->Call<protocol::ListJobsReply>(protocol::ListJobsRequest{}).status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(server_->permission_denied(), 2u);
}

TEST_F(ServerAuthTest, UserTokenCannotRegisterAsAnAgentNorManageTokens) {
  auto alice = Connect(CreateUser("alice"));
  protocol::RegisterNodeRequest r;
  r.node.id = "n1";
  r.node.hostname = "n1";
  auto reg = alice->Call<protocol::RegisterNodeReply>(r);
  ASSERT_EQ(reg.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(reg.status().message().find("user credentials cannot register as an agent"),
            std::string::npos);
  protocol::HeartbeatRequest hb;
  hb.node_id = "n1";
  EXPECT_EQ(alice->Call<protocol::HeartbeatReply>(hb).status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(
      alice->Call<protocol::CreateTokenReply>(protocol::CreateTokenRequest{"user", "eve", true})
          .status()
          .code(),
      StatusCode::kPermissionDenied);
  EXPECT_EQ(alice->Call<protocol::ListTokensReply>(protocol::ListTokensRequest{}).status().code(),
            StatusCode::kPermissionDenied);
  auto nodes = alice->Call<protocol::ListNodesReply>(protocol::ListNodesRequest{});
  EXPECT_TRUE(nodes.ok());
  EXPECT_TRUE(nodes->nodes.empty());  // the refused registration stored nothing
  EXPECT_EQ(server_->permission_denied(), 4u);
}

TEST_F(ServerAuthTest, UsersSeeAndTouchOnlyTheirOwnJobsAndAdminsEverything) {
  auto alice = Connect(CreateUser("alice"));
  auto bob = Connect(CreateUser("bob"));
  std::string bobs = Submit(*bob);
  std::string alices = Submit(*alice);
  ASSERT_FALSE(bobs.empty());
  ASSERT_FALSE(alices.empty());

  auto list = alice->Call<protocol::ListJobsReply>(protocol::ListJobsRequest{});
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->jobs.size(), 1u);
  EXPECT_EQ(list->jobs[0].id, alices);
  EXPECT_EQ(list->jobs[0].owner, "alice");

  auto get = alice->Call<protocol::GetJobReply>(protocol::GetJobRequest{bobs});
  EXPECT_EQ(get.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(get.status().message(), "job " + bobs + " does not exist");
  protocol::ReadLogsRequest logs;
  logs.job_id = bobs;
  EXPECT_EQ(alice->Call<protocol::ReadLogsReply>(logs).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(alice->Call<protocol::CancelJobReply>(protocol::CancelJobRequest{bobs}).status().code(),
            StatusCode::kNotFound);
  protocol::ReadMetricsRequest metrics;
  metrics.job_id = bobs;
  EXPECT_EQ(alice->Call<protocol::ReadMetricsReply>(metrics).status().code(),
            StatusCode::kNotFound);
  protocol::ListOutputsRequest outputs;
  outputs.job_id = bobs;
  EXPECT_EQ(alice->Call<protocol::ListOutputsReply>(outputs).status().code(),
            StatusCode::kNotFound);
  protocol::MetricSummaryRequest summary;
  summary.job_ids = {bobs, alices};
  auto sums = alice->Call<protocol::MetricSummaryReply>(summary);
  ASSERT_TRUE(sums.ok());
  ASSERT_EQ(sums->jobs.size(), 1u);

  // Bob's job is untouched; alice's own works.
  auto own = alice->Call<protocol::GetJobReply>(protocol::GetJobRequest{alices});
  ASSERT_TRUE(own.ok());
  EXPECT_EQ(own->job.summary.owner, "alice");
  EXPECT_TRUE(alice->Call<protocol::ReadLogsReply>(protocol::ReadLogsRequest{alices}).ok());

  // The admin sees both, reads and cancels bob's.
  auto all = admin_->Call<protocol::ListJobsReply>(protocol::ListJobsRequest{});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->jobs.size(), 2u);
  EXPECT_TRUE(admin_->Call<protocol::ReadLogsReply>(logs).ok());
  auto cancelled = admin_->Call<protocol::CancelJobReply>(protocol::CancelJobRequest{bobs});
  ASSERT_TRUE(cancelled.ok()) << cancelled.status().ToString();
  EXPECT_EQ(cancelled->state, "CANCELLED");
  auto seen = bob->Call<protocol::GetJobReply>(protocol::GetJobRequest{bobs});
  ASSERT_TRUE(seen.ok());
  EXPECT_EQ(seen->job.summary.owner, "bob");
  EXPECT_EQ(seen->job.summary.state, "CANCELLED");
}

TEST_F(ServerAuthTest, TokensAreCreatedListedAndNamesValidated) {
  Token first = CreateUser("alice");
  Token second = CreateUser("alice");  // a second token for the same user
  EXPECT_NE(first.client_secret, second.client_secret);
  EXPECT_EQ(first.server_public, auth_state_.controller.public_key);
  auto list = admin_->Call<protocol::ListTokensReply>(protocol::ListTokensRequest{});
  ASSERT_TRUE(list.ok());
  int alices = 0;
  for (const auto& t : list->tokens) alices += t.name == "alice" ? 1 : 0;
  EXPECT_EQ(alices, 2);
  EXPECT_EQ(list->tokens.size(), 4u);  // admin, local agent, alice twice

  // Both tokens are alice: a job submitted with one is hers with the other.
  auto a1 = Connect(first);
  auto a2 = Connect(second);
  std::string job = Submit(*a1);
  EXPECT_TRUE(a2->Call<protocol::GetJobReply>(protocol::GetJobRequest{job}).ok());

  auto bad =
      admin_->Call<protocol::CreateTokenReply>(protocol::CreateTokenRequest{"user", "Bob!", false});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  auto robot =
      admin_->Call<protocol::CreateTokenReply>(protocol::CreateTokenRequest{"robot", "x", false});
  EXPECT_EQ(robot.status().code(), StatusCode::kInvalidArgument);
  auto agent = admin_->Call<protocol::CreateTokenReply>(protocol::CreateTokenRequest{"agent"});
  ASSERT_TRUE(agent.ok());
  EXPECT_EQ(agent->info.kind, "agent");
  EXPECT_EQ(agent->info.name, "join");
  auto joined = Connect(*jobctl::auth::ParseToken(agent->token));
  auto who = joined->Call<protocol::WhoAmIReply>(protocol::WhoAmIRequest{});
  // whoami is a user message; an agent key is refused.
  EXPECT_EQ(who.status().code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(joined->Call<protocol::PingReply>(protocol::PingRequest{}).ok());
}

TEST_F(ServerAuthTest, RevokingATokenStopsItsNextRequestOnAnOpenConnection) {
  Token token = CreateUser("alice");
  auto alice = Connect(token);
  ASSERT_TRUE(alice->Call<protocol::PingReply>(protocol::PingRequest{}).ok());
  std::string id = jobctl::auth::TokenId(CredsOf(token).client_public);

  // An admin cannot revoke the token it speaks with.
  auto me = jobctl::auth::TokenId(CredsOf(admin_token_).client_public);
  EXPECT_EQ(admin_->Call<protocol::OkReply>(protocol::RevokeTokenRequest{me}).status().code(),
            StatusCode::kFailedPrecondition);
  ASSERT_TRUE(admin_->Call<protocol::OkReply>(protocol::RevokeTokenRequest{id}).ok());
  EXPECT_EQ(admin_->Call<protocol::OkReply>(protocol::RevokeTokenRequest{id}).status().code(),
            StatusCode::kNotFound);

  auto after = alice->Call<protocol::PingReply>(protocol::PingRequest{});
  ASSERT_EQ(after.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(after.status().message().find("revoked"), std::string::npos);
  // A new connection with it does not get through the handshake.
  uint64_t refused = server_->refused_unknown_keys();
  auto again = Connect(token);
  EXPECT_EQ(again->Call<protocol::PingReply>(protocol::PingRequest{}, kNoAnswer).status().code(),
            StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(WaitFor([&] { return server_->refused_unknown_keys(); }, refused + 1));
}

TEST_F(ServerAuthTest, CredentialsAndOwnersSurviveARestart) {
  Token carol = CreateUser("carol");
  Token dave = CreateUser("dave");
  std::string job;
  {
    auto c = Connect(carol);
    job = Submit(*c);
  }
  ASSERT_TRUE(admin_
                  ->Call<protocol::OkReply>(protocol::RevokeTokenRequest{
                      jobctl::auth::TokenId(CredsOf(dave).client_public)})
                  .ok());
  std::string key_before = auth_state_.controller.public_key;
  admin_.reset();
  StopServer();

  StartServer();
  EXPECT_EQ(auth_state_.controller.public_key, key_before);
  EXPECT_EQ(auth_state_.registry->size(), 3u);  // admin, agent, carol
  auto c = Connect(carol);
  auto who = c->Call<protocol::WhoAmIReply>(protocol::WhoAmIRequest{});
  ASSERT_TRUE(who.ok()) << who.status().ToString();
  EXPECT_EQ(who->identity.name, "carol");
  auto mine = c->Call<protocol::GetJobReply>(protocol::GetJobRequest{job});
  ASSERT_TRUE(mine.ok()) << mine.status().ToString();
  EXPECT_EQ(mine->job.summary.owner, "carol");

  auto d = Connect(dave);
  EXPECT_EQ(d->Call<protocol::PingReply>(protocol::PingRequest{}, kNoAnswer).status().code(),
            StatusCode::kDeadlineExceeded);
}

// A handled type without a row in the access table is refused to everyone on
// an authenticating controller: every handler needs its row.
TEST(ServerAccessTableTest, EveryHandledMessageTypeHasAnAccessRule) {
  zmq::context_t ctx(1);
  MemoryStateStore store;
  Server server(ServerOptions{}, ctx, &store, nullptr, SystemClock::Get());
  std::vector<std::string> types = server.HandledTypes();
  EXPECT_GT(types.size(), 20u);
  for (const std::string& type : types) {
    EXPECT_TRUE(auth::AudienceOf(type).has_value()) << "no access rule for '" << type << "'";
  }
  EXPECT_EQ(auth::AudienceOf("server_stats"), auth::Audience::kAdmins);
}

// Without an authenticator (unit tests of other features) everyone is the
// admin "local", and jobs are owned by "local".
TEST(ServerNoAuthTest, EveryoneIsTheLocalAdmin) {
  zmq::context_t ctx(1);
  MemoryStateStore store;
  auto dir = std::filesystem::temp_directory_path() / ("ctl_noauth_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(paths::CreateDataDirLayout(dir.string()).ok());
  auto logs = LogStore::Open(paths::LogsDir(dir.string()));
  ASSERT_TRUE(logs.ok());
  ServerOptions options;
  options.listen = "tcp://127.0.0.1:*";
  options.poll_interval_ms = 10;
  Server server(options, ctx, &store, logs->get(), SystemClock::Get());
  ASSERT_TRUE(server.Start().ok());
  std::thread thread([&] { ASSERT_TRUE(server.Run().ok()); });
  {
    Client client(ctx, server.endpoint(), std::nullopt);
    auto who = client.Call<protocol::WhoAmIReply>(protocol::WhoAmIRequest{});
    ASSERT_TRUE(who.ok()) << who.status().ToString();
    EXPECT_EQ(who->identity.name, "local");
    EXPECT_TRUE(who->identity.admin);
    auto job = client.Call<protocol::SubmitJobReply>(SmallJob());
    ASSERT_TRUE(job.ok()) << job.status().ToString();
    auto got = client.Call<protocol::GetJobReply>(protocol::GetJobRequest{job->job_id});
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got->job.summary.owner, "local");
    EXPECT_EQ(client.Call<protocol::ListTokensReply>(protocol::ListTokensRequest{}).status().code(),
              StatusCode::kFailedPrecondition);
  }
  server.Stop();
  thread.join();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace jobctl::controller
