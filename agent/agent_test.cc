// The agent against a fake controller: a ZeroMQ ROUTER socket in the test.
#include "agent/agent.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <algorithm>
#include <boost/asio/post.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <thread>

#include "agent/paths.h"
#include "agent/process_runtime.h"
#include "agent/test_util.h"
#include "common/digest/sha256.h"
#include "common/protocol/event_messages.h"
#include "common/protocol/log_records.h"

namespace jobctl::agent {
namespace {

using testing::ProcessAlive;
using testing::ReadPid;

class FakeController {
 public:
  FakeController() : router_(ctx_, zmq::socket_type::router) {
    router_.set(zmq::sockopt::linger, 0);
    router_.bind("tcp://127.0.0.1:*");
    endpoint_ = router_.get(zmq::sockopt::last_endpoint);
  }
  const std::string& endpoint() const { return endpoint_; }

  // Serves requests until `done()` or the deadline; returns done().
  bool ServeUntil(const std::function<bool()>& done,
                  std::chrono::milliseconds deadline = std::chrono::seconds(30)) {
    auto end = std::chrono::steady_clock::now() + deadline;
    while (!done() && std::chrono::steady_clock::now() < end) {
      zmq::pollitem_t item{static_cast<void*>(router_), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, std::chrono::milliseconds(20));
      if (item.revents & ZMQ_POLLIN) HandleOne();
    }
    return done();
  }

  template <typename M>
  void Push(const M& command) {
    std::string frame = protocol::Encode(command, 0);
    router_.send(zmq::buffer(node_identity_), zmq::send_flags::sndmore);
    router_.send(zmq::buffer(frame), zmq::send_flags::none);
  }

  // Pushes a frame as it is, malformed or not.
  void PushRaw(const std::string& frame) {
    router_.send(zmq::buffer(node_identity_), zmq::send_flags::sndmore);
    router_.send(zmq::buffer(frame), zmq::send_flags::none);
  }

  std::string node_identity_;
  std::optional<protocol::RegisterNodeRequest> registration;
  int heartbeats = 0;
  int registrations = 0;
  bool forget_node = false;  // answer the next heartbeat with registered=false
  std::vector<protocol::RankEventRequest> events;
  std::map<int, std::vector<std::string>> lines;  // rank -> stored lines
  bool ack_logs = true;                           // false: drop log batches unanswered
  int dropped_batches = 0;
  // Lines stored for the rank when its exited event came.
  std::map<int, size_t> lines_at_exit;
  // Outputs: blobs by sha256 (complete and partial), manifests committed.
  std::map<std::string, std::string> blobs;
  std::map<std::string, std::string> partial_blobs;
  std::vector<protocol::OutputsCommitRequest> commits;
  // rank_events: the number of items of each request, in arrival order; how
  // many of the requests were single rank_event / outputs_commit messages.
  std::vector<size_t> batch_sizes;
  // The items of each rank_events request: "exited:0", "outputs:job-1".
  std::vector<std::vector<std::string>> batch_items;
  int single_events = 0;
  int single_commits = 0;
  bool old_controller = false;  // answer rank_events as an unknown type
  bool refuse_outputs = false;  // answer outputs_missing with a non-retryable error
  // When set: whether this path existed when each outputs_commit arrived.
  std::string watch_at_commit;
  std::vector<bool> existed_at_commit;

  const protocol::RankEventRequest* FindEvent(int rank, const std::string& event) const {
    for (const auto& e : events) {
      if (e.rank == rank && e.event == event) return &e;
    }
    return nullptr;
  }

 private:
  void HandleOne() {
    zmq::message_t id, body;
    if (!router_.recv(id, zmq::recv_flags::dontwait)) return;
    if (!router_.recv(body, zmq::recv_flags::dontwait)) return;
    auto env = protocol::DecodeEnvelope(body.to_string_view());
    ASSERT_TRUE(env.ok()) << env.status().ToString();
    std::string reply;
    if (env->type == protocol::RegisterNodeRequest::kType) {
      node_identity_ = id.to_string();
      registration = *protocol::DecodeBody<protocol::RegisterNodeRequest>(*env);
      ++registrations;
      reply = protocol::Encode(protocol::RegisterNodeReply{}, env->request_id);
    } else if (env->type == protocol::HeartbeatRequest::kType) {
      ++heartbeats;
      protocol::HeartbeatReply r;
      r.registered = !forget_node;
      forget_node = false;
      reply = protocol::Encode(r, env->request_id);
    } else if (env->type == protocol::RankEventRequest::kType) {
      auto e = *protocol::DecodeBody<protocol::RankEventRequest>(*env);
      if (e.event == "exited") lines_at_exit[e.rank] = lines[e.rank].size();
      events.push_back(e);
      ++single_events;
      reply = protocol::Encode(protocol::OkReply{}, env->request_id);
    } else if (env->type == protocol::RankEventsRequest::kType && old_controller) {
      reply = protocol::EncodeError(
          InvalidArgumentError("unknown message type '" + env->type + "'"), env->request_id);
    } else if (env->type == protocol::RankEventsRequest::kType) {
      auto batch = *protocol::DecodeBody<protocol::RankEventsRequest>(*env);
      batch_sizes.push_back(batch.events.size() + batch.empty_outputs.size());
      auto& items = batch_items.emplace_back();
      for (const auto& e : batch.events) items.push_back(e.event + ":" + std::to_string(e.rank));
      for (const auto& o : batch.empty_outputs) items.push_back("outputs:" + o.job_id);
      for (auto& e : batch.events) {
        EXPECT_TRUE(e.node_id.empty());
        e.node_id = batch.node_id;
        if (e.event == "exited") lines_at_exit[e.rank] = lines[e.rank].size();
        events.push_back(e);
      }
      for (const auto& o : batch.empty_outputs) {
        protocol::OutputsCommitRequest c;
        c.node_id = batch.node_id;
        c.job_id = o.job_id;
        c.attempt = o.attempt;
        c.node_rank = o.node_rank;
        c.num_nodes = o.num_nodes;
        commits.push_back(c);
      }
      reply = protocol::Encode(protocol::RankEventsReply{}, env->request_id);
    } else if (env->type == protocol::LogBatchRequest::kType) {
      if (!ack_logs) {
        ++dropped_batches;
        return;
      }
      auto b = *protocol::DecodeBody<protocol::LogBatchRequest>(*env);
      auto unpacked = protocol::UnpackLines(b.lines.data);
      ASSERT_TRUE(unpacked.ok());
      auto& stored = lines[b.rank];
      // Like the controller: drop what is stored, refuse gaps.
      if (b.first_seq <= stored.size()) {
        for (size_t i = stored.size() - b.first_seq; i < unpacked->size(); ++i) {
          stored.emplace_back((*unpacked)[i]);
        }
      }
      protocol::LogBatchReply r;
      r.next_seq = stored.size();
      reply = protocol::Encode(r, env->request_id);
    } else if (env->type == protocol::OutputsMissingRequest::kType && refuse_outputs) {
      reply = protocol::EncodeError(InvalidArgumentError("no such job"), env->request_id);
    } else if (env->type == protocol::OutputsMissingRequest::kType) {
      auto m = *protocol::DecodeBody<protocol::OutputsMissingRequest>(*env);
      protocol::OutputsMissingReply r;
      for (const auto& b : m.blobs) {
        if (!blobs.count(b.sha256)) r.missing.push_back({b.sha256, 0});
      }
      reply = protocol::Encode(r, env->request_id);
    } else if (env->type == protocol::BlobChunkRequest::kType) {
      auto c = *protocol::DecodeBody<protocol::BlobChunkRequest>(*env);
      std::string& blob = partial_blobs[c.sha256];
      if (c.offset == static_cast<int64_t>(blob.size())) blob += c.data.data;
      protocol::BlobChunkReply r;
      r.next_offset = static_cast<int64_t>(blob.size());
      if (r.next_offset == c.size) {
        blobs[c.sha256] = blob;
        r.stored = true;
      }
      reply = protocol::Encode(r, env->request_id);
    } else if (env->type == protocol::OutputsCommitRequest::kType) {
      commits.push_back(*protocol::DecodeBody<protocol::OutputsCommitRequest>(*env));
      ++single_commits;
      if (!watch_at_commit.empty()) {
        existed_at_commit.push_back(std::filesystem::exists(watch_at_commit));
      }
      reply = protocol::Encode(protocol::OkReply{}, env->request_id);
    } else {
      FAIL() << "unexpected request " << env->type;
    }
    router_.send(id, zmq::send_flags::sndmore);
    router_.send(zmq::buffer(reply), zmq::send_flags::none);
  }

  zmq::context_t ctx_;
  zmq::socket_t router_;
  std::string endpoint_;
};

class AgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/agent-test-XXXXXX";
    work_ = ::mkdtemp(tmpl);
    AgentOptions o;
    o.controller = controller_.endpoint();
    o.work_dir = work_;
    o.node.id = "node-a";
    o.node.hostname = "host-a";
    o.node.address = "127.0.0.1";
    o.node.cpus = 2;
    o.heartbeat = std::chrono::milliseconds(100);
    o.default_grace = std::chrono::milliseconds(2000);
    o.request_timeout = std::chrono::milliseconds(300);
    o.retry_delay = std::chrono::milliseconds(50);
    o.base_env = {"PATH=/usr/bin:/bin", "AGENT_VAR=inherited"};
    o.started_report_delay = StartedReportDelay();
    o.keep_attempt_dirs = KeepAttemptDirs();
    agent_ = std::make_unique<Agent>(io_, zmq_ctx_, &runtime_, o);
    ASSERT_TRUE(agent_->Start().ok());
    thread_ = std::thread([this] { io_.run(); });
    ASSERT_TRUE(controller_.ServeUntil([this] { return controller_.registration.has_value(); }));
  }
  virtual std::chrono::milliseconds StartedReportDelay() const {
    return std::chrono::milliseconds(10);
  }
  virtual bool KeepAttemptDirs() const { return false; }
  void TearDown() override {
    io_.stop();
    thread_.join();
    agent_.reset();
    std::filesystem::remove_all(work_);
  }

  protocol::StartAttemptCommand Command(const std::string& command, int nranks) {
    protocol::StartAttemptCommand c;
    c.job_id = "job-1";
    c.attempt = 1;
    c.spec.command = command;
    c.world_size = nranks;
    c.local_world_size = nranks;
    for (int i = 0; i < nranks; ++i) c.ranks.push_back(i);
    c.gpus = {{0}, {1, 2}};
    c.gpus.resize(static_cast<size_t>(nranks));
    c.master_addr = "127.0.0.1";
    c.master_port = 29500;
    return c;
  }
  std::string AttemptDir() const { return paths::AttemptDir(work_, "job-1", 1); }
  bool BothExited() {
    return controller_.FindEvent(0, "exited") && controller_.FindEvent(1, "exited");
  }

  FakeController controller_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_ =
      boost::asio::make_work_guard(io_);
  zmq::context_t zmq_ctx_;
  ProcessRuntime runtime_{io_};
  std::string work_;
  std::unique_ptr<Agent> agent_;
  std::thread thread_;
};

// --keep-attempt-dirs: tests that look into an attempt's directory after
// its end.
class AgentKeepDirsTest : public AgentTest {
 protected:
  bool KeepAttemptDirs() const override { return true; }
};

TEST_F(AgentTest, RegistersAndHeartbeats) {
  EXPECT_EQ(controller_.registration->node.id, "node-a");
  EXPECT_EQ(controller_.registration->node.address, "127.0.0.1");
  EXPECT_TRUE(controller_.registration->running.empty());
  EXPECT_TRUE(controller_.ServeUntil([this] { return controller_.heartbeats >= 2; }));
}

TEST_F(AgentTest, RegistersAgainWhenTheControllerForgetsTheNode) {
  ASSERT_EQ(controller_.registrations, 1);
  controller_.Push(Command("sleep 1000", 1));
  ASSERT_TRUE(controller_.ServeUntil([this] { return controller_.FindEvent(0, "started"); }));
  controller_.forget_node = true;
  ASSERT_TRUE(controller_.ServeUntil([this] { return controller_.registrations == 2; }));
  // The re-registration lists the rank still running.
  ASSERT_EQ(controller_.registration->running.size(), 1u);
  EXPECT_EQ(controller_.registration->running[0].job_id, "job-1");
  EXPECT_EQ(controller_.registration->running[0].rank, 0);
}

TEST_F(AgentTest, RunsRanksStreamsEveryLineAndReportsExits) {
  controller_.Push(Command(
      "echo \"env $RANK $WORLD_SIZE $LOCAL_RANK $LOCAL_WORLD_SIZE $NODE_RANK $GROUP_RANK "
      "$ROLE_RANK $MASTER_ADDR $MASTER_PORT $TORCHELASTIC_RUN_ID $JOBCTL_JOB_ID "
      "$JOBCTL_ATTEMPT $JOBCTL_NODE_ID $CUDA_VISIBLE_DEVICES $AGENT_VAR $PYTHONUNBUFFERED\"; "
      "test -d \"$JOBCTL_OUTPUTS_DIR\" && [ \"$JOBCTL_OUTPUTS_DIR\" -ef outputs-rank-$RANK ] && "
      "echo outputs-ok; "
      "i=0; while [ $i -lt 500 ]; do echo \"line $i\"; i=$((i+1)); done; echo err >&2",
      2));
  ASSERT_TRUE(controller_.ServeUntil([this] { return BothExited(); }));
  for (int rank = 0; rank < 2; ++rank) {
    SCOPED_TRACE(rank);
    const auto* started = controller_.FindEvent(rank, "started");
    const auto* exited = controller_.FindEvent(rank, "exited");
    ASSERT_NE(started, nullptr);
    ASSERT_NE(exited, nullptr);
    EXPECT_LT(started - controller_.events.data(), exited - controller_.events.data());
    EXPECT_EQ(exited->exit_code, 0);
    EXPECT_EQ(exited->signal, 0);
    EXPECT_EQ(exited->node_id, "node-a");
    // Every line arrived before the exit, in order, once.
    const auto& lines = controller_.lines[rank];
    EXPECT_EQ(controller_.lines_at_exit[rank], 503u);
    ASSERT_EQ(lines.size(), 503u);
    std::string gpus = rank == 0 ? "0" : "1,2";
    std::string r = std::to_string(rank);
    EXPECT_EQ(lines[0], "env " + r + " 2 " + r + " 2 0 0 " + r +
                            " 127.0.0.1 29500 job-1 job-1 1 node-a " + gpus + " inherited 1");
    EXPECT_EQ(lines[1], "outputs-ok");
    std::vector<std::string> numbered;
    for (const auto& l : lines) {
      if (l.rfind("line ", 0) == 0) numbered.push_back(l);
    }
    ASSERT_EQ(numbered.size(), 500u);
    for (int i = 0; i < 500; ++i)
      EXPECT_EQ(numbered[static_cast<size_t>(i)], "line " + std::to_string(i));
    EXPECT_NE(std::find(lines.begin(), lines.end(), "err"), lines.end());
  }
}

TEST_F(AgentKeepDirsTest, FailFastStopsTheOtherLocalRanks) {
  controller_.Push(
      Command("if [ \"$RANK\" = 1 ]; then while [ ! -f bg-0 ]; do sleep 0.01; done; exit 3; fi; "
              "sleep 1000 & echo $! > bg-$RANK; wait",
              2));
  ASSERT_TRUE(controller_.ServeUntil([this] { return BothExited(); }));
  EXPECT_EQ(controller_.FindEvent(1, "exited")->exit_code, 3);
  EXPECT_EQ(controller_.FindEvent(0, "exited")->signal, SIGTERM);
  // The failing rank is the cause; the rank we stopped is marked as such.
  EXPECT_FALSE(controller_.FindEvent(1, "exited")->stopped);
  EXPECT_TRUE(controller_.FindEvent(0, "exited")->stopped);
  pid_t bg = ReadPid(AttemptDir() + "/bg-0");
  ASSERT_GT(bg, 0);
  EXPECT_TRUE(controller_.ServeUntil([bg] { return !ProcessAlive(bg); }, std::chrono::seconds(5)));
}

TEST_F(AgentTest, StopAttemptKillsEveryProcessOfTheRanks) {
  // The ranks (and their children) ignore SIGTERM: only SIGKILL ends them.
  controller_.Push(
      Command("trap '' TERM; sleep 1000 & echo $! > bg-$RANK; while true; do sleep 0.05; done", 2));
  ASSERT_TRUE(controller_.ServeUntil([this] {
    return controller_.FindEvent(0, "started") && controller_.FindEvent(1, "started") &&
           std::filesystem::exists(AttemptDir() + "/bg-0") &&
           std::filesystem::exists(AttemptDir() + "/bg-1");
  }));
  pid_t bg0 = ReadPid(AttemptDir() + "/bg-0");
  pid_t bg1 = ReadPid(AttemptDir() + "/bg-1");
  ASSERT_TRUE(ProcessAlive(bg0));
  protocol::StopAttemptCommand stop;
  stop.job_id = "job-1";
  stop.attempt = 1;
  stop.reason = "cancelled";
  stop.grace_ms = 300;
  controller_.Push(stop);
  ASSERT_TRUE(controller_.ServeUntil([this] { return BothExited(); }));
  EXPECT_EQ(controller_.FindEvent(0, "exited")->signal, SIGKILL);
  EXPECT_EQ(controller_.FindEvent(1, "exited")->signal, SIGKILL);
  EXPECT_TRUE(controller_.ServeUntil([&] { return !ProcessAlive(bg0) && !ProcessAlive(bg1); },
                                     std::chrono::seconds(5)));
  // Nothing reported as running any more.
  int hb = controller_.heartbeats;
  EXPECT_TRUE(controller_.ServeUntil([&] { return controller_.heartbeats > hb + 1; }));
}

TEST_F(AgentTest, NoLineLostOrRepeatedWhenAcksStallThenResume) {
  controller_.ack_logs = false;
  controller_.Push(
      Command("i=0; while [ $i -lt 20000 ]; do echo \"line $i\"; i=$((i+1)); done", 1));
  ASSERT_TRUE(controller_.ServeUntil([this] { return controller_.dropped_batches >= 3; }));
  controller_.ack_logs = true;
  ASSERT_TRUE(controller_.ServeUntil([this] { return controller_.FindEvent(0, "exited"); }));
  const auto& lines = controller_.lines[0];
  ASSERT_EQ(lines.size(), 20000u);
  for (size_t i = 0; i < lines.size(); ++i) ASSERT_EQ(lines[i], "line " + std::to_string(i));
  EXPECT_EQ(controller_.lines_at_exit[0], 20000u);
}

TEST_F(AgentKeepDirsTest, UnpacksTheCodeArchiveAndRunsInIt) {
  std::string src = work_ + "/src";
  std::filesystem::create_directories(src);
  std::ofstream(src + "/hello.txt") << "hello from code\n";
  std::string cmd = "tar -czf - -C " + src + " .";
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  auto c = Command("cat hello.txt; pwd", 1);
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) c.code_archive.data.append(buf, n);
  ASSERT_EQ(::pclose(p), 0);
  controller_.Push(c);
  ASSERT_TRUE(controller_.ServeUntil([this] { return controller_.FindEvent(0, "exited"); }));
  EXPECT_EQ(controller_.FindEvent(0, "exited")->exit_code, 0);
  EXPECT_EQ(controller_.lines[0],
            (std::vector<std::string>{
                "hello from code", std::filesystem::canonical(AttemptDir() + "/code").string()}));
}

TEST_F(AgentTest, BadCodeArchiveIsAPrepareFailure) {
  auto c = Command("true", 1);
  c.code_archive.data = "this is not a tar.gz";
  controller_.Push(c);
  ASSERT_TRUE(
      controller_.ServeUntil([this] { return controller_.FindEvent(-1, "prepare_failed"); }));
  EXPECT_NE(controller_.FindEvent(-1, "prepare_failed")->message.find("tar"), std::string::npos);
  EXPECT_EQ(controller_.FindEvent(0, "started"), nullptr);
}

TEST_F(AgentTest, UnresolvableMasterAddrIsAPrepareFailure) {
  auto c = Command("true", 1);
  c.ranks = {1};
  c.node_rank = 1;
  c.master_addr = "no-such-host.invalid";
  controller_.Push(c);
  ASSERT_TRUE(
      controller_.ServeUntil([this] { return controller_.FindEvent(-1, "prepare_failed"); }));
  EXPECT_NE(controller_.FindEvent(-1, "prepare_failed")->message.find("no-such-host.invalid"),
            std::string::npos);
  EXPECT_EQ(controller_.FindEvent(1, "started"), nullptr);
}

}  // namespace
}  // namespace jobctl::agent

namespace jobctl::agent {
namespace {

// A measurement, not a check of wall time: run with
// --gtest_also_run_disabled_tests to print lines per second of one rank.
TEST_F(AgentTest, DISABLED_LogThroughputOfOneRank) {
  constexpr size_t kLines = 1000000;
  auto start = std::chrono::steady_clock::now();
  controller_.Push(
      Command("yes " + std::string(99, 'x') + " | head -n " + std::to_string(kLines), 1));
  ASSERT_TRUE(controller_.ServeUntil([this] { return controller_.FindEvent(0, "exited"); },
                                     std::chrono::seconds(120)));
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(controller_.lines[0].size(), kLines);
  std::printf("%zu lines of 100 bytes in %.2f s: %.0f lines/s\n", kLines, s, kLines / s);
}

TEST_F(AgentTest, UploadsEachRanksOutputsAfterTheAttemptEnds) {
  controller_.Push(Command(
      "head -c 3000000 /dev/zero | tr '\\0' \"$RANK\" > $JOBCTL_OUTPUTS_DIR/w.bin; "
      "[ $RANK = 0 ] && echo same > $JOBCTL_OUTPUTS_DIR/a && echo same > $JOBCTL_OUTPUTS_DIR/b; "
      "true",
      2));
  ASSERT_TRUE(controller_.ServeUntil([this] { return !controller_.commits.empty(); }));
  const auto& c = controller_.commits[0];
  EXPECT_TRUE(c.error.empty()) << c.error;
  EXPECT_EQ(c.job_id, "job-1");
  ASSERT_EQ(c.files.size(), 4u);
  EXPECT_EQ(c.files[0].path, "a");
  EXPECT_EQ(c.files[1].path, "b");
  EXPECT_EQ(c.files[2].path, "rank-1/w.bin");
  EXPECT_EQ(c.files[3].path, "w.bin");
  EXPECT_EQ(c.files[0].sha256, c.files[1].sha256);
  // Every file's bytes arrived (in 1 MiB chunks), each distinct blob once.
  EXPECT_EQ(controller_.blobs.size(), 3u);
  for (const auto& f : c.files) {
    ASSERT_TRUE(controller_.blobs.count(f.sha256)) << f.path;
    EXPECT_EQ(digest::Sha256Hex(controller_.blobs[f.sha256]), f.sha256);
    EXPECT_EQ(static_cast<int64_t>(controller_.blobs[f.sha256].size()), f.size);
  }
  EXPECT_EQ(c.files[3].size, 3000000);
}

TEST_F(AgentTest, MalformedCommandsAreDroppedAndCountedAndTheAgentServesOn) {
  std::string valid = protocol::Encode(Command("echo survived", 1), 0);
  controller_.PushRaw("not msgpack at all");
  controller_.PushRaw(valid.substr(0, valid.size() / 2));  // truncated
  protocol::Envelope wrong;  // a start_attempt whose fields have the wrong types
  wrong.type = "start_attempt";
  wrong.body = {{"job_id", 5}, {"ranks", "zero"}};
  controller_.PushRaw(protocol::EncodeEnvelope(wrong));
  protocol::Envelope unknown;
  unknown.type = "no_such_command";
  unknown.body = nlohmann::json::object();
  controller_.PushRaw(protocol::EncodeEnvelope(unknown));
  protocol::Envelope stop;  // stop_attempt with a string for grace_ms
  stop.type = "stop_attempt";
  stop.body = {{"job_id", "job-1"}, {"grace_ms", "soon"}};
  controller_.PushRaw(protocol::EncodeEnvelope(stop));
  ASSERT_TRUE(controller_.ServeUntil([this] { return agent_->bad_commands() == 5; }))
      << agent_->bad_commands();
  // The agent still runs what it is sent and talks to the controller.
  controller_.PushRaw(valid);
  ASSERT_TRUE(controller_.ServeUntil([this] { return controller_.FindEvent(0, "exited"); }));
  EXPECT_EQ(controller_.FindEvent(0, "exited")->exit_code, 0);
  ASSERT_TRUE(controller_.ServeUntil([this] { return !controller_.lines[0].empty(); }));
  EXPECT_EQ(controller_.lines[0][0], "survived");
  EXPECT_EQ(agent_->bad_commands(), 5u);
}

TEST_F(AgentTest, EventsReportedInOneTurnGoOutTogetherInOrder) {
  // Reported in one turn of the loop: they travel in one rank_events request
  // (event_sender_test.cc has the cases with requests in flight).
  boost::asio::post(io_, [this] {
    for (int rank = 0; rank < 5; ++rank) {
      protocol::RankEventRequest e;
      e.node_id = "node-a";
      e.job_id = "job-9";
      e.attempt = 1;
      e.rank = rank;
      e.event = "started";
      agent_->ReportRankEvent(std::move(e), {});
    }
  });
  ASSERT_TRUE(controller_.ServeUntil([this] { return controller_.events.size() == 5; }));
  EXPECT_EQ(controller_.batch_sizes, (std::vector<size_t>{5}));
  for (int rank = 0; rank < 5; ++rank) {
    EXPECT_EQ(controller_.events[static_cast<size_t>(rank)].rank, rank);
    EXPECT_EQ(controller_.events[static_cast<size_t>(rank)].node_id, "node-a");
  }
  EXPECT_EQ(controller_.single_events, 0);
}

TEST_F(AgentTest, AnAttemptWithoutOutputsReportsItsEmptyManifestWithTheEvents) {
  controller_.Push(Command("true", 1));
  ASSERT_TRUE(controller_.ServeUntil([this] { return !controller_.commits.empty(); }));
  const auto& c = controller_.commits[0];
  EXPECT_EQ(c.job_id, "job-1");
  EXPECT_EQ(c.attempt, 1);
  EXPECT_EQ(c.num_nodes, 1);
  EXPECT_TRUE(c.files.empty());
  EXPECT_TRUE(c.error.empty());
  EXPECT_EQ(controller_.single_commits, 0);
  ASSERT_NE(controller_.FindEvent(0, "exited"), nullptr);
  // The manifest rode with the rank's exit, in one request after it.
  auto& batches = controller_.batch_items;
  auto with_exit = std::find_if(batches.begin(), batches.end(), [](const auto& b) {
    return std::find(b.begin(), b.end(), "exited:0") != b.end();
  });
  ASSERT_NE(with_exit, batches.end());
  EXPECT_EQ(with_exit->back(), "outputs:job-1") << ::testing::PrintToString(batches);
  EXPECT_EQ((*with_exit)[with_exit->size() - 2], "exited:0");
}

TEST_F(AgentTest, TheDirectoryOfAnAttemptThatWroteNothingServesTheNextAttempt) {
  const std::string pool = paths::AttemptDirPoolDir(work_);
  controller_.Push(Command("true", 1));
  // Once its exit is acknowledged, the directory leaves jobs/ for the pool.
  ASSERT_TRUE(controller_.ServeUntil([&] {
    return !std::filesystem::exists(AttemptDir()) && std::filesystem::exists(pool) &&
           !std::filesystem::is_empty(pool);
  }));
  auto next = Command("ls -A; pwd", 1);
  next.job_id = "job-2";
  controller_.Push(next);
  ASSERT_TRUE(controller_.ServeUntil([&] { return controller_.commits.size() == 2; }));
  // It ran in the recycled directory, which held only its own entries.
  EXPECT_EQ(controller_.lines[0],
            (std::vector<std::string>{
                "metrics-rank-0.fifo", "outputs-rank-0",
                std::filesystem::canonical(paths::AttemptDir(work_, "job-2", 1)).string()}));
  EXPECT_TRUE(std::filesystem::is_empty(pool));
}

TEST_F(AgentTest, TheDirectoryOfAnAttemptThatWroteAFileIsDeletedOnceItIsFinished) {
  controller_.Push(Command("echo x > note.txt", 1));
  ASSERT_TRUE(controller_.ServeUntil([this] { return !controller_.commits.empty(); }));
  EXPECT_TRUE(controller_.commits[0].files.empty());
  ASSERT_TRUE(controller_.ServeUntil([&] { return !std::filesystem::exists(AttemptDir()); }));
  // Deleted, not recycled: no idle directory holds the file.
  const std::string pool = paths::AttemptDirPoolDir(work_);
  EXPECT_TRUE(!std::filesystem::exists(pool) || std::filesystem::is_empty(pool));
  EXPECT_TRUE(std::filesystem::is_directory(paths::JobsDir(work_)));
}

TEST_F(AgentTest, TheDirectoryOfAnAttemptThatWroteOutputsIsDeletedAfterTheUpload) {
  controller_.watch_at_commit = AttemptDir() + "/outputs-rank-0/model.bin";
  controller_.Push(Command("echo weights > \"$JOBCTL_OUTPUTS_DIR/model.bin\"", 1));
  ASSERT_TRUE(controller_.ServeUntil([this] { return !controller_.commits.empty(); }));
  ASSERT_EQ(controller_.commits[0].files.size(), 1u);
  EXPECT_TRUE(controller_.commits[0].error.empty());
  // The file was there while it was uploaded; the directory goes after.
  EXPECT_EQ(controller_.existed_at_commit, std::vector<bool>{true});
  ASSERT_TRUE(controller_.ServeUntil([&] { return !std::filesystem::exists(AttemptDir()); }));
}

TEST_F(AgentTest, TheDirectoryOfAnAttemptWhoseUploadFailedStays) {
  controller_.refuse_outputs = true;
  controller_.Push(Command("echo weights > \"$JOBCTL_OUTPUTS_DIR/model.bin\"", 1));
  ASSERT_TRUE(controller_.ServeUntil([this] { return !controller_.commits.empty(); }));
  EXPECT_FALSE(controller_.commits[0].error.empty());
  // The first upload ended before the next attempt started; that one's
  // directory is deleted after any deletion the first one asked for.
  auto next = Command("echo x > note.txt", 1);
  next.job_id = "job-2";
  controller_.Push(next);
  ASSERT_TRUE(controller_.ServeUntil([&] {
    return controller_.commits.size() == 2 &&
           !std::filesystem::exists(paths::AttemptDir(work_, "job-2", 1));
  }));
  EXPECT_TRUE(std::filesystem::exists(AttemptDir() + "/outputs-rank-0/model.bin"));
}

TEST_F(AgentKeepDirsTest, WithKeepOnAnAttemptsOutputsStayAfterTheUpload) {
  controller_.Push(Command("echo weights > \"$JOBCTL_OUTPUTS_DIR/model.bin\"", 1));
  ASSERT_TRUE(controller_.ServeUntil([this] { return !controller_.commits.empty(); }));
  ASSERT_EQ(controller_.commits[0].files.size(), 1u);
  // An empty attempt's directory is still recycled.
  auto next = Command("true", 1);
  next.job_id = "job-2";
  controller_.Push(next);
  ASSERT_TRUE(controller_.ServeUntil([&] {
    return controller_.commits.size() == 2 &&
           !std::filesystem::exists(paths::AttemptDir(work_, "job-2", 1));
  }));
  EXPECT_TRUE(std::filesystem::exists(AttemptDir() + "/outputs-rank-0/model.bin"));
}

TEST_F(AgentKeepDirsTest, WithKeepOnTheDirectoryOfAnAttemptThatWroteAFileStays) {
  controller_.Push(Command("echo kept > note.txt", 1));
  ASSERT_TRUE(controller_.ServeUntil([this] { return !controller_.commits.empty(); }));
  // A later attempt's end comes after the first one's runner is done.
  auto next = Command("true", 1);
  next.job_id = "job-2";
  controller_.Push(next);
  ASSERT_TRUE(controller_.ServeUntil([&] {
    return controller_.commits.size() == 2 &&
           !std::filesystem::exists(paths::AttemptDir(work_, "job-2", 1));
  }));
  EXPECT_TRUE(std::filesystem::exists(AttemptDir() + "/note.txt"));
}

// `started` reports wait a minute for an exit to travel with.
class AgentSlowStartedTest : public AgentTest {
 protected:
  std::chrono::milliseconds StartedReportDelay() const override {
    return std::chrono::minutes(1);
  }
};

TEST_F(AgentSlowStartedTest, AShortRanksStartExitAndManifestTravelInOneRequest) {
  controller_.Push(Command("true", 1));
  ASSERT_TRUE(controller_.ServeUntil([this] { return !controller_.commits.empty(); }));
  EXPECT_EQ(controller_.batch_items,
            (std::vector<std::vector<std::string>>{{"started:0", "exited:0", "outputs:job-1"}}));
}

TEST_F(AgentSlowStartedTest, EveryStartGoesBeforeTheFirstExit) {
  controller_.Push(Command("if [ $RANK = 1 ]; then sleep 0.3; fi", 2));
  ASSERT_TRUE(controller_.ServeUntil([this] { return !controller_.commits.empty(); }));
  EXPECT_EQ(controller_.batch_items,
            (std::vector<std::vector<std::string>>{{"started:0", "started:1", "exited:0"},
                                                   {"exited:1", "outputs:job-1"}}));
}

TEST_F(AgentTest, ARankThatRunsOnIsReportedStartedOnItsOwn) {
  controller_.Push(Command("sleep 1000", 1));
  ASSERT_TRUE(controller_.ServeUntil([this] { return controller_.FindEvent(0, "started"); }));
  EXPECT_EQ(controller_.batch_items.front(), std::vector<std::string>{"started:0"});
  EXPECT_EQ(controller_.FindEvent(0, "exited"), nullptr);
}

TEST_F(AgentTest, TheManifestWaitsForTheLastLocalRanksExit) {
  // Rank 1 ends well after rank 0: the manifest goes with rank 1's exit.
  controller_.Push(Command("if [ $RANK = 1 ]; then sleep 0.3; fi", 2));
  ASSERT_TRUE(controller_.ServeUntil([this] { return !controller_.commits.empty(); }));
  ASSERT_TRUE(BothExited());
  EXPECT_EQ(controller_.commits.size(), 1u);
  EXPECT_TRUE(controller_.commits[0].files.empty());
  std::vector<std::string> last_exit_and_manifest{"exited:1", "outputs:job-1"};
  // Both `started` went out before rank 0's exit (with it, or earlier).
  EXPECT_LT(controller_.FindEvent(1, "started") - controller_.events.data(),
            controller_.FindEvent(0, "exited") - controller_.events.data());
  auto& batches = controller_.batch_items;
  EXPECT_NE(std::find(batches.begin(), batches.end(), last_exit_and_manifest), batches.end())
      << ::testing::PrintToString(batches);
  for (const auto& b : batches) {
    if (std::find(b.begin(), b.end(), "exited:0") != b.end()) {
      EXPECT_EQ(std::find(b.begin(), b.end(), "outputs:job-1"), b.end());
    }
  }
}

TEST_F(AgentTest, AnOutputsFolderWithOnlyAnEmptyFolderStillGivesAnEmptyManifest) {
  // Not surely empty: the uploader's scan decides (no file), and its empty
  // manifest travels with the events on its own.
  controller_.Push(Command("mkdir \"$JOBCTL_OUTPUTS_DIR/sub\"", 1));
  ASSERT_TRUE(controller_.ServeUntil([this] { return !controller_.commits.empty(); }));
  EXPECT_TRUE(controller_.commits[0].files.empty());
  EXPECT_TRUE(controller_.commits[0].error.empty());
  EXPECT_EQ(controller_.single_commits, 0);
  std::vector<std::string> manifest_alone{"outputs:job-1"};
  auto& batches = controller_.batch_items;
  EXPECT_NE(std::find(batches.begin(), batches.end(), manifest_alone), batches.end())
      << ::testing::PrintToString(batches);
}

TEST_F(AgentTest, AnOlderControllerGetsEveryEventAndManifestOnItsOwn) {
  controller_.old_controller = true;
  controller_.Push(Command("true", 1));
  ASSERT_TRUE(controller_.ServeUntil([this] { return !controller_.commits.empty(); }));
  EXPECT_TRUE(controller_.batch_sizes.empty());
  EXPECT_EQ(controller_.single_events, 2);  // started, exited
  EXPECT_EQ(controller_.single_commits, 1);
  ASSERT_NE(controller_.FindEvent(0, "started"), nullptr);
  ASSERT_NE(controller_.FindEvent(0, "exited"), nullptr);
  EXPECT_EQ(controller_.FindEvent(0, "exited")->node_id, "node-a");
  EXPECT_TRUE(controller_.commits[0].files.empty());
}

}  // namespace
}  // namespace jobctl::agent
