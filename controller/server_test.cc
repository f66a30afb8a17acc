// Runs the server in a thread on an ephemeral port and speaks the protocol
// with RpcClient (client side) and fake agents (DEALER sockets).
#include "controller/server.h"

#include <unistd.h>

#include <chrono>
#include <deque>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "common/protocol/event_messages.h"
#include "common/protocol/log_records.h"
#include "common/transport/rpc_client.h"
#include "controller/paths.h"
#include "controller/memory_state_store.h"
#include "controller/server_test_util.h"
#include "controller/sqlite_state_store.h"

namespace jobctl::controller {
namespace {

using namespace std::chrono_literals;
constexpr auto kTimeout = 5000ms;

// An agent stand-in: request/reply on a DEALER, pushed commands queued.
class FakeAgent {
 public:
  FakeAgent(zmq::context_t& ctx, const std::string& endpoint, std::string id)
      : id_(std::move(id)), socket_(ctx, zmq::socket_type::dealer) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.connect(endpoint);
  }
  const std::string& id() const { return id_; }

  template <typename Rep, typename Req>
  Result<Rep> Call(const Req& request) {
    uint64_t id = ++next_id_;
    socket_.send(zmq::buffer(protocol::Encode(request, id)), zmq::send_flags::none);
    auto deadline = std::chrono::steady_clock::now() + kTimeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto env = Receive(100ms);
      if (!env) continue;
      if (env->request_id == 0) {
        commands_.push_back(*env);
        continue;
      }
      if (env->request_id != id) continue;
      if (env->type == protocol::ErrorReply::kType) return protocol::StatusFromErrorReply(*env);
      return protocol::DecodeBody<Rep>(*env);
    }
    return DeadlineExceededError("no reply");
  }

  // Waits for a pushed command of type M.
  template <typename M>
  Result<M> Expect() {
    auto deadline = std::chrono::steady_clock::now() + kTimeout;
    while (std::chrono::steady_clock::now() < deadline) {
      for (auto it = commands_.begin(); it != commands_.end(); ++it) {
        if (it->type == M::kType) {
          auto m = protocol::DecodeBody<M>(*it);
          commands_.erase(it);
          return m;
        }
      }
      auto env = Receive(100ms);
      if (env && env->request_id == 0) commands_.push_back(*env);
    }
    return DeadlineExceededError("no " + std::string(M::kType) + " for " + id_);
  }

  Status Register() {
    protocol::RegisterNodeRequest r;
    r.node.id = id_;
    r.node.hostname = id_;
    r.node.address = id_ + ".local";
    r.node.cpus = 8;
    r.node.memory_bytes = int64_t{16} << 30;
    return Call<protocol::RegisterNodeReply>(r).status();
  }
  Status Event(const std::string& job, int attempt, int rank, const std::string& event,
               int code = 0, bool stopped = false) {
    protocol::RankEventRequest e;
    e.stopped = stopped;
    e.node_id = id_;
    e.job_id = job;
    e.attempt = attempt;
    e.rank = rank;
    e.event = event;
    e.exit_code = code;
    return Call<protocol::OkReply>(e).status();
  }
  Result<uint64_t> Log(const std::string& job, int attempt, int rank, uint64_t first,
                       std::vector<std::string> lines) {
    protocol::LogBatchRequest b;
    b.node_id = id_;
    b.job_id = job;
    b.attempt = attempt;
    b.rank = rank;
    b.first_seq = first;
    for (const auto& l : lines) protocol::AppendLine(b.lines.data, l);
    auto r = Call<protocol::LogBatchReply>(b);
    if (!r.ok()) return r.status();
    return r->next_seq;
  }

 private:
  std::optional<protocol::Envelope> Receive(std::chrono::milliseconds wait) {
    zmq::pollitem_t item{static_cast<void*>(socket_), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, wait);
    if (!(item.revents & ZMQ_POLLIN)) return std::nullopt;
    zmq::message_t msg;
    if (!socket_.recv(msg, zmq::recv_flags::dontwait)) return std::nullopt;
    auto env = protocol::DecodeEnvelope(msg.to_string_view());
    if (!env.ok()) return std::nullopt;
    return *env;
  }

  std::string id_;
  zmq::socket_t socket_;
  uint64_t next_id_ = 0;
  std::deque<protocol::Envelope> commands_;
};

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::FreshDataDir("ctl_server");
  }
  void StartServer(int64_t heartbeat_timeout_ms = 10000, MemoryStateStore* memory = nullptr) {
    if (memory != nullptr) {
      store_.reset();
      store_ptr_ = memory;
    } else {
      auto store = SqliteStateStore::Open(paths::StateDbPath(dir_.string()));
      ASSERT_TRUE(store.ok());
      store_ = std::move(*store);
      store_ptr_ = store_.get();
    }
    auto logs = LogStore::Open(paths::LogsDir(dir_.string()));
    ASSERT_TRUE(logs.ok());
    logs_ = std::move(*logs);
    ServerOptions options;
    options.listen = "tcp://127.0.0.1:*";
    options.data_dir = dir_.string();
    options.heartbeat_timeout_ms = heartbeat_timeout_ms;
    options.poll_interval_ms = 10;
    server_ = std::make_unique<Server>(options, ctx_, store_ptr_, logs_.get(),
                                       SystemClock::Get());
    ASSERT_TRUE(server_->Start().ok());
    thread_ = std::thread([this] { ASSERT_TRUE(server_->Run().ok()); });
    client_ = std::make_unique<RpcClient>(ctx_, server_->endpoint());
  }
  void StopServer() {
    if (!server_) return;
    server_->Stop();
    thread_.join();
    client_.reset();
    server_.reset();
    logs_.reset();
    store_.reset();
  }
  void TearDown() override {
    StopServer();
    std::filesystem::remove_all(dir_);
  }
  std::string Submit(int nodes, int ppn, int retries = 0) {
    protocol::SubmitJobRequest r;
    r.spec.name = "t";
    r.spec.command = "python train.py";
    r.spec.resources.instance_count = nodes;
    r.spec.distribution.process_count_per_instance = ppn;
    r.spec.retries = retries;
    r.code_archive.data = "fake tar.gz bytes";
    auto reply = client_->Call<protocol::SubmitJobReply>(r, kTimeout);
    EXPECT_TRUE(reply.ok()) << reply.status().ToString();
    return reply.ok() ? reply->job_id : "";
  }
  protocol::JobDetail Get(const std::string& id) {
    auto r = client_->Call<protocol::GetJobReply>(protocol::GetJobRequest{id}, kTimeout);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->job : protocol::JobDetail{};
  }
  // Polls GetJob until the state is `state` (bounded).
  bool WaitState(const std::string& id, const std::string& state) {
    for (int i = 0; i < 300; ++i) {
      if (Get(id).summary.state == state) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  std::filesystem::path dir_;
  zmq::context_t ctx_{1};
  std::unique_ptr<StateStore> store_;
  StateStore* store_ptr_ = nullptr;
  std::unique_ptr<LogStore> logs_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  std::unique_ptr<RpcClient> client_;
};

TEST_F(ServerTest, TwoByTwoJobRunsToSuccessWithLogs) {
  StartServer();
  FakeAgent a(ctx_, server_->endpoint(), "local-1"), b(ctx_, server_->endpoint(), "local-2");
  ASSERT_TRUE(a.Register().ok());
  ASSERT_TRUE(b.Register().ok());
  auto ping = client_->Call<protocol::PingReply>(protocol::PingRequest{}, kTimeout);
  ASSERT_TRUE(ping.ok());
  EXPECT_EQ(ping->ready_nodes, 2);

  std::string id = Submit(2, 2);
  ASSERT_EQ(id, "1");
  auto sa = a.Expect<protocol::StartAttemptCommand>();
  auto sb = b.Expect<protocol::StartAttemptCommand>();
  ASSERT_TRUE(sa.ok() && sb.ok());
  EXPECT_EQ(sa->world_size, 4);
  EXPECT_EQ(sa->master_addr, sb->master_addr);
  EXPECT_EQ(sa->master_port, sb->master_port);
  EXPECT_EQ(sa->master_addr, "local-1.local");
  EXPECT_EQ(sa->ranks, (std::vector<int>{0, 1}));
  EXPECT_EQ(sb->ranks, (std::vector<int>{2, 3}));
  EXPECT_EQ(sa->code_archive.data, "fake tar.gz bytes");
  EXPECT_EQ(Get(id).summary.state, "PREPARING");

  for (int r : {0, 1}) ASSERT_TRUE(a.Event(id, 1, r, "started").ok());
  for (int r : {2, 3}) ASSERT_TRUE(b.Event(id, 1, r, "started").ok());
  EXPECT_EQ(Get(id).summary.state, "RUNNING");
  EXPECT_EQ(*a.Log(id, 1, 0, 0, {"hello from 0", "loss 1.0"}), 2u);
  EXPECT_EQ(*b.Log(id, 1, 3, 0, {"hello from 3"}), 1u);
  EXPECT_EQ(*a.Log(id, 1, 0, 1, {"loss 1.0"}), 2u);  // duplicate dropped
  for (int r : {0, 1}) ASSERT_TRUE(a.Event(id, 1, r, "exited", 0).ok());
  ASSERT_TRUE(b.Event(id, 1, 2, "exited", 0).ok());
  ASSERT_TRUE(b.Event(id, 1, 2, "exited", 0).ok());  // duplicate is idempotent
  ASSERT_TRUE(b.Event(id, 1, 3, "exited", 0).ok());
  auto detail = Get(id);
  EXPECT_EQ(detail.summary.state, "SUCCEEDED");
  EXPECT_EQ(detail.transitions.size(), 4u);

  protocol::ReadLogsRequest read;
  read.job_id = id;
  auto logs = client_->Call<protocol::ReadLogsReply>(read, kTimeout);
  ASSERT_TRUE(logs.ok());
  auto records = protocol::UnpackRecords(logs->records.data);
  ASSERT_EQ(records->size(), 3u);
  EXPECT_EQ((*records)[0].line, "hello from 0");
  EXPECT_TRUE(logs->complete);
  EXPECT_EQ(logs->state, "SUCCEEDED");

  // Restart: everything acknowledged is still there.
  StopServer();
  StartServer();
  EXPECT_EQ(Get(id).summary.state, "SUCCEEDED");
  EXPECT_EQ(Submit(1, 1), "2");
}

TEST_F(ServerTest, RankFailureStopsOtherNodeAndFails) {
  StartServer();
  FakeAgent a(ctx_, server_->endpoint(), "local-1"), b(ctx_, server_->endpoint(), "local-2");
  ASSERT_TRUE(a.Register().ok());
  ASSERT_TRUE(b.Register().ok());
  std::string id = Submit(2, 2);
  ASSERT_TRUE(a.Expect<protocol::StartAttemptCommand>().ok());
  ASSERT_TRUE(b.Expect<protocol::StartAttemptCommand>().ok());
  // Node 2's agent stopped its rank 2 after rank 3 failed, and that exit
  // arrives first: it must not be taken for the cause.
  ASSERT_TRUE(b.Event(id, 1, 2, "exited", 143, /*stopped=*/true).ok());
  EXPECT_EQ(Get(id).summary.state, "PREPARING");
  ASSERT_TRUE(b.Event(id, 1, 3, "exited", 3).ok());
  auto stop = a.Expect<protocol::StopAttemptCommand>();
  ASSERT_TRUE(stop.ok());
  EXPECT_EQ(stop->job_id, id);
  auto detail = Get(id);
  EXPECT_EQ(detail.summary.state, "FAILED");
  EXPECT_EQ(detail.end_reason, "rank 3 on node local-2 exited with code 3");
}

TEST_F(ServerTest, CancelStopsAttempt) {
  StartServer();
  FakeAgent a(ctx_, server_->endpoint(), "local-1");
  ASSERT_TRUE(a.Register().ok());
  std::string id = Submit(1, 1);
  ASSERT_TRUE(a.Expect<protocol::StartAttemptCommand>().ok());
  auto reply = client_->Call<protocol::CancelJobReply>(protocol::CancelJobRequest{id}, kTimeout);
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->state, "CANCELLED");
  EXPECT_TRUE(a.Expect<protocol::StopAttemptCommand>().ok());
  auto missing =
      client_->Call<protocol::CancelJobReply>(protocol::CancelJobRequest{"99"}, kTimeout);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

TEST_F(ServerTest, LostNodeRetriesThenFails) {
  StartServer(/*heartbeat_timeout_ms=*/300);
  FakeAgent a(ctx_, server_->endpoint(), "local-1");
  ASSERT_TRUE(a.Register().ok());
  std::string id = Submit(1, 1, /*retries=*/1);
  ASSERT_TRUE(a.Expect<protocol::StartAttemptCommand>().ok());
  // No heartbeats: the node is lost and the job goes back to the queue.
  ASSERT_TRUE(WaitState(id, "QUEUED"));
  auto detail = Get(id);
  EXPECT_EQ(detail.summary.attempt, 2);
  EXPECT_NE(detail.transitions.back().reason.find("node local-1 lost"), std::string::npos);
  // It comes back, gets attempt 2, and is lost again: no retries left.
  ASSERT_TRUE(a.Register().ok());
  auto start = a.Expect<protocol::StartAttemptCommand>();
  ASSERT_TRUE(start.ok());
  EXPECT_EQ(start->attempt, 2);
  ASSERT_TRUE(WaitState(id, "FAILED"));
  EXPECT_NE(Get(id).end_reason.find("node local-1 lost (no heartbeat for"), std::string::npos);
}

TEST_F(ServerTest, MalformedAndUnknownFramesGetErrors) {
  StartServer();
  protocol::Envelope e;
  e.type = "no_such_message";
  e.request_id = 42;
  auto reply = client_->CallRaw(protocol::EncodeEnvelope(e), 42, kTimeout);
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->type, protocol::ErrorReply::kType);
  EXPECT_EQ(server_->unknown_types(), 1u);
  auto bad = client_->CallRaw("not msgpack at all", 7, 300ms);
  EXPECT_FALSE(bad.ok());
  protocol::SubmitJobRequest empty;  // no command
  auto submit = client_->Call<protocol::SubmitJobReply>(empty, kTimeout);
  EXPECT_EQ(submit.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(ServerTest, FailedStoreWriteIsNotAcknowledged) {
  MemoryStateStore memory;
  StartServer(10000, &memory);
  memory.set_fail_writes(true);
  protocol::SubmitJobRequest r;
  r.spec.command = "true";
  auto reply = client_->Call<protocol::SubmitJobReply>(r, kTimeout);
  EXPECT_EQ(reply.status().code(), StatusCode::kResourceExhausted);
  memory.set_fail_writes(false);
  auto list = client_->Call<protocol::ListJobsReply>(protocol::ListJobsRequest{}, kTimeout);
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->jobs.empty());
  EXPECT_EQ(Submit(1, 1), "1");
  StopServer();
}

TEST_F(ServerTest, TimeoutEndsJobTimedOut) {
  StartServer();
  FakeAgent a(ctx_, server_->endpoint(), "local-1");
  ASSERT_TRUE(a.Register().ok());
  protocol::SubmitJobRequest r;
  r.spec.command = "sleep 100";
  r.spec.limits.timeout_seconds = 1;
  auto reply = client_->Call<protocol::SubmitJobReply>(r, kTimeout);
  ASSERT_TRUE(reply.ok());
  ASSERT_TRUE(a.Expect<protocol::StartAttemptCommand>().ok());
  ASSERT_TRUE(WaitState(reply->job_id, "TIMED_OUT"));
  EXPECT_TRUE(a.Expect<protocol::StopAttemptCommand>().ok());
  EXPECT_EQ(Get(reply->job_id).end_reason, "exceeded limits.timeout of 1 s");
}

// The scheduling pass stops walking the queue once the cluster is full; the
// order (priority, then age) and the pending reasons must not change.
TEST_F(ServerTest, LongQueueOnAFullNodeRunsInOrderAndSaysWhy) {
  StartServer();
  FakeAgent a(ctx_, server_->endpoint(), "local-1");
  ASSERT_TRUE(a.Register().ok());
  std::vector<std::string> ids;
  for (int i = 0; i < 200; ++i) ids.push_back(Submit(1, 8));  // 8 CPUs: the whole node
  protocol::SubmitJobRequest urgent;
  urgent.spec.command = "true";
  urgent.spec.priority = 5;
  urgent.spec.distribution.process_count_per_instance = 8;
  auto reply = client_->Call<protocol::SubmitJobReply>(urgent, kTimeout);
  ASSERT_TRUE(reply.ok());
  std::vector<std::string> order;
  for (int k = 0; k < 3; ++k) {
    auto start = a.Expect<protocol::StartAttemptCommand>();
    ASSERT_TRUE(start.ok()) << start.status().ToString();
    order.push_back(start->job_id);
    if (k == 0) {
      // Every other job waits, with a reason naming the full node.
      for (const std::string& id : {ids[1], ids[150]}) {
        auto detail = Get(id);
        EXPECT_EQ(detail.summary.state, "QUEUED");
        EXPECT_NE(detail.pending_reason.find("0 such nodes free"), std::string::npos)
            << detail.pending_reason;
      }
    }
    for (int r = 0; r < 8; ++r) ASSERT_TRUE(a.Event(start->job_id, 1, r, "exited").ok());
  }
  EXPECT_EQ(order, (std::vector<std::string>{ids[0], reply->job_id, ids[1]}));
  EXPECT_TRUE(WaitState(ids[0], "SUCCEEDED"));
  EXPECT_TRUE(WaitState(reply->job_id, "SUCCEEDED"));
}

TEST_F(ServerTest, RankEventsBatchAppliesEveryItemAndNamesTheRefusedOnes) {
  StartServer();
  FakeAgent a(ctx_, server_->endpoint(), "local-1");
  ASSERT_TRUE(a.Register().ok());
  std::string id = Submit(1, 2);
  ASSERT_TRUE(a.Expect<protocol::StartAttemptCommand>().ok());

  protocol::RankEventsRequest batch;
  batch.node_id = "local-1";
  for (const char* event : {"started", "exited"}) {
    for (int r : {0, 1}) {
      protocol::RankEventRequest e;
      e.job_id = id;
      e.attempt = 1;
      e.rank = r;
      e.event = event;
      batch.events.push_back(e);
    }
  }
  protocol::RankEventRequest unknown;
  unknown.job_id = "999";
  unknown.attempt = 1;
  unknown.rank = 0;
  unknown.event = "exited";
  batch.events.push_back(unknown);
  protocol::RankEventRequest other_node = batch.events[0];
  other_node.node_id = "local-2";
  batch.events.push_back(other_node);
  batch.empty_outputs.push_back({id, 1, 0, 1});
  batch.empty_outputs.push_back({"998", 1, 0, 1});

  auto reply = a.Call<protocol::RankEventsReply>(batch);
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  ASSERT_EQ(reply->refused.size(), 3u);
  EXPECT_EQ(reply->refused[0].item, "events[4]");
  EXPECT_EQ(reply->refused[0].code, "NOT_FOUND");
  EXPECT_EQ(reply->refused[1].item, "events[5]");
  EXPECT_EQ(reply->refused[1].code, "INVALID_ARGUMENT");
  EXPECT_EQ(reply->refused[2].item, "empty_outputs[1]");
  EXPECT_EQ(reply->refused[2].code, "NOT_FOUND");

  auto detail = Get(id);
  EXPECT_EQ(detail.summary.state, "SUCCEEDED");
  EXPECT_EQ(detail.transitions.size(), 4u);  // QUEUED, PREPARING, RUNNING, SUCCEEDED
  protocol::ListOutputsRequest list;
  list.job_id = id;
  auto outputs = client_->Call<protocol::ListOutputsReply>(list, kTimeout);
  ASSERT_TRUE(outputs.ok()) << outputs.status().ToString();
  EXPECT_EQ(outputs->status, "ready");
  EXPECT_EQ(outputs->nodes_committed, 1);
  EXPECT_TRUE(outputs->files.empty());

  // A resent batch (its reply was lost) changes nothing.
  auto again = a.Call<protocol::RankEventsReply>(batch);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->refused.size(), 3u);
  EXPECT_EQ(Get(id).transitions.size(), 4u);

  // Acknowledged means stored.
  StopServer();
  StartServer();
  EXPECT_EQ(Get(id).summary.state, "SUCCEEDED");
  outputs = client_->Call<protocol::ListOutputsReply>(list, kTimeout);
  ASSERT_TRUE(outputs.ok()) << outputs.status().ToString();
  EXPECT_EQ(outputs->status, "ready");
}

TEST_F(ServerTest, RankEventsWithoutNodeIdAreRefused) {
  StartServer();
  FakeAgent a(ctx_, server_->endpoint(), "local-1");
  protocol::RankEventsRequest batch;
  auto reply = a.Call<protocol::RankEventsReply>(batch);
  EXPECT_EQ(reply.status().code(), StatusCode::kInvalidArgument) << reply.status().ToString();
}

}  // namespace
}  // namespace jobctl::controller
