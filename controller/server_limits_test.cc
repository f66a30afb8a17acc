// Malformed, truncated, wrong-typed, oversized frames and requests over a
// size limit: each is dropped or refused, counted, and the server serves on.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "common/protocol/event_messages.h"
#include "common/protocol/limits.h"
#include "common/protocol/log_records.h"
#include "common/protocol/metric_messages.h"
#include "common/protocol/stats_messages.h"
#include "controller/server_test_util.h"

namespace jobctl::controller {
namespace {

using namespace std::chrono_literals;
constexpr auto kTimeout = 10000ms;

class ServerLimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.started());
    client_ = server_.NewClient();
  }

  Status Ping(RpcClient& client) {
    return client.Call<protocol::PingReply>(protocol::PingRequest{}, kTimeout).status();
  }
  protocol::ServerStatsReply Stats() {
    auto r = client_->Call<protocol::ServerStatsReply>(protocol::ServerStatsRequest{}, kTimeout);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : protocol::ServerStatsReply{};
  }
  protocol::SubmitJobRequest ValidSubmit() {
    protocol::SubmitJobRequest r;
    r.spec.name = "t";
    r.spec.command = "true";
    return r;
  }
  std::string SubmitValidJob() {
    auto reply = client_->Call<protocol::SubmitJobReply>(ValidSubmit(), kTimeout);
    EXPECT_TRUE(reply.ok()) << reply.status().ToString();
    return reply.ok() ? reply->job_id : "";
  }
  // Expects INVALID_ARGUMENT naming `limit`, counted under it.
  void ExpectRefused(const Status& status, const std::string& limit) {
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status.ToString();
    EXPECT_NE(status.message().find("over the limit of"), std::string::npos) << status.message();
    EXPECT_NE(status.message().find("(" + limit + ")"), std::string::npos) << status.message();
    EXPECT_EQ(Stats().refused_by_limit[limit], 1u);
  }

  testing::RunningServer server_;
  std::unique_ptr<RpcClient> client_;
};

TEST_F(ServerLimitsTest, TruncatedFrameIsCountedAndTheServerServesOn) {
  std::string frame = protocol::Encode(ValidSubmit(), 7);
  auto reply = client_->CallRaw(frame.substr(0, frame.size() / 2), 7, 500ms);
  EXPECT_FALSE(reply.ok());          // no id can be read from it: dropped
  EXPECT_TRUE(Ping(*client_).ok());  // handled after it (one connection is in order)
  EXPECT_EQ(server_.server().malformed_frames(), 1u);
  protocol::ServerStatsReply stats = Stats();
  EXPECT_EQ(stats.malformed_frames, 1u);
  EXPECT_GE(stats.frames_received, 3u);  // truncated, ping, stats
}

TEST_F(ServerLimitsTest, WrongTypesAreAnsweredWithAnErrorAndCounted) {
  nlohmann::json body = {{"job_id", 12}};  // a string field given a number
  protocol::Envelope e;
  e.type = "get_job";
  e.request_id = 9;
  e.body = body;
  auto reply = client_->CallRaw(protocol::EncodeEnvelope(e), 9, kTimeout);
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->type, protocol::ErrorReply::kType);
  EXPECT_EQ(protocol::StatusFromErrorReply(*reply).code(), StatusCode::kInvalidArgument);
  // The envelope itself of the wrong shape: "t" a number.
  nlohmann::json bad = {{"v", 1}, {"t", 5}, {"id", 10}, {"b", nlohmann::json::object()}};
  std::string frame;
  nlohmann::json::to_msgpack(bad, frame);
  auto reply2 = client_->CallRaw(frame, 10, kTimeout);
  ASSERT_TRUE(reply2.ok()) << reply2.status().ToString();
  EXPECT_EQ(reply2->type, protocol::ErrorReply::kType);
  EXPECT_EQ(Stats().malformed_frames, 2u);
  EXPECT_TRUE(Ping(*client_).ok());
}

TEST_F(ServerLimitsTest, MessageOfTooManyPartsIsDroppedAndCounted) {
  zmq::socket_t dealer(server_.context(), zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::linger, 0);
  dealer.connect(server_.endpoint());
  std::string ping = protocol::Encode(protocol::PingRequest{}, 3);
  for (int i = 0; i < 9; ++i) {
    ASSERT_TRUE(dealer.send(zmq::buffer(ping), zmq::send_flags::sndmore).has_value());
  }
  ASSERT_TRUE(dealer.send(zmq::buffer(ping), zmq::send_flags::none).has_value());
  // The same connection is then answered: the bad message was read first.
  ASSERT_TRUE(dealer.send(zmq::buffer(ping), zmq::send_flags::none).has_value());
  zmq::pollitem_t item{static_cast<void*>(dealer), 0, ZMQ_POLLIN, 0};
  zmq::poll(&item, 1, kTimeout);
  ASSERT_TRUE(item.revents & ZMQ_POLLIN);
  zmq::message_t reply;
  ASSERT_TRUE(dealer.recv(reply, zmq::recv_flags::dontwait).has_value());
  auto env = protocol::DecodeEnvelope(reply.to_string_view());
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->type, protocol::PingReply::kType);
  EXPECT_FALSE(reply.more());
  EXPECT_EQ(Stats().malformed_frames, 1u);
}

TEST_F(ServerLimitsTest, OversizedFrameDropsItsConnectionOnly) {
  zmq::socket_t big(server_.context(), zmq::socket_type::dealer);
  big.set(zmq::sockopt::linger, 0);
  big.connect(server_.endpoint());
  // A valid envelope padded past the frame limit: ZeroMQ drops the
  // connection before the frame is buffered whole.
  protocol::Envelope e;
  e.type = "ping";
  e.request_id = 1;
  e.body = nlohmann::json::object();
  e.body["pad"] = nlohmann::json::binary(std::vector<uint8_t>(protocol::kMaxFrameBytes + 1, 'x'));
  std::string frame = protocol::EncodeEnvelope(e);
  ASSERT_GT(frame.size(), protocol::kMaxFrameBytes);
  ASSERT_TRUE(big.send(zmq::buffer(frame), zmq::send_flags::none).has_value());
  frame.clear();
  frame.shrink_to_fit();
  // Other clients are unaffected, before and after.
  EXPECT_TRUE(Ping(*client_).ok());
  zmq::pollitem_t item{static_cast<void*>(big), 0, ZMQ_POLLIN, 0};
  zmq::poll(&item, 1, 1000ms);
  EXPECT_FALSE(item.revents & ZMQ_POLLIN) << "an oversized frame was answered";
  auto other = server_.NewClient();
  EXPECT_TRUE(Ping(*other).ok());
  EXPECT_TRUE(Ping(*client_).ok());
  EXPECT_EQ(server_.server().malformed_frames(), 0u);
}

TEST_F(ServerLimitsTest, OversizedCodeArchiveIsRefusedNamingTheLimit) {
  protocol::SubmitJobRequest r = ValidSubmit();
  r.code_archive.data.assign(68 * protocol::kMiB, 'a');
  auto reply = client_->Call<protocol::SubmitJobReply>(r, kTimeout);
  ExpectRefused(reply.status(), "code_archive_bytes");
  EXPECT_NE(reply.status().message().find("code_archive is 68 MiB, over the limit of 64 MiB"),
            std::string::npos)
      << reply.status().message();
  auto list = client_->Call<protocol::ListJobsReply>(protocol::ListJobsRequest{}, kTimeout);
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->jobs.empty());  // nothing stored
}

TEST_F(ServerLimitsTest, OversizedSpecIsRefusedNamingTheLimit) {
  protocol::SubmitJobRequest r = ValidSubmit();
  // Many small env vars, each within its own limits, past the encoded size.
  for (int i = 0; i < 1000; ++i) {
    r.spec.environment_variables["V" + std::to_string(i)] = std::string(5000, 'v');
  }
  auto reply = client_->Call<protocol::SubmitJobReply>(r, kTimeout);
  ExpectRefused(reply.status(), "spec_encoded_bytes");
  protocol::SubmitJobRequest many = ValidSubmit();
  for (int i = 0; i < 1025; ++i) many.spec.tags["t" + std::to_string(i)] = "x";
  auto reply2 = client_->Call<protocol::SubmitJobReply>(many, kTimeout);
  EXPECT_NE(reply2.status().message().find("spec.tags is 1025 entries"), std::string::npos)
      << reply2.status().ToString();
  EXPECT_EQ(Stats().refused_by_limit["map_entries"], 1u);
  protocol::SubmitJobRequest long_name = ValidSubmit();
  long_name.spec.name = std::string(protocol::kMaxNameBytes + 1, 'n');
  auto reply3 = client_->Call<protocol::SubmitJobReply>(long_name, kTimeout);
  EXPECT_NE(reply3.status().message().find("spec.name"), std::string::npos);
  EXPECT_FALSE(SubmitValidJob().empty());
}

TEST_F(ServerLimitsTest, OversizedLogLineIsRefusedNamingTheLimit) {
  std::string job = SubmitValidJob();
  protocol::LogBatchRequest b;
  b.node_id = "node-1";
  b.job_id = job;
  protocol::AppendLine(b.lines.data, "fine");
  protocol::AppendLine(b.lines.data, std::string(protocol::kMaxLineBytes + 1, 'x'));
  auto reply = client_->Call<protocol::LogBatchReply>(b, kTimeout);
  ExpectRefused(reply.status(), "line_bytes");
  EXPECT_NE(reply.status().message().find("lines[1] is 16385 bytes"), std::string::npos)
      << reply.status().message();
}

TEST_F(ServerLimitsTest, OversizedLogBatchIsRefusedNamingTheLimit) {
  std::string job = SubmitValidJob();
  protocol::LogBatchRequest b;
  b.node_id = "node-1";
  b.job_id = job;
  std::string line(protocol::kMaxLineBytes, 'x');
  while (b.lines.data.size() <= protocol::kMaxLogBatchBytes) {
    protocol::AppendLine(b.lines.data, line);
  }
  auto reply = client_->Call<protocol::LogBatchReply>(b, kTimeout);
  ExpectRefused(reply.status(), "log_batch_bytes");
  // A batch of too many (empty) lines within the byte limit.
  protocol::LogBatchRequest lines = b;
  lines.lines.data.clear();
  for (size_t i = 0; i <= protocol::kMaxLogBatchLines; ++i) {
    protocol::AppendLine(lines.lines.data, "");
  }
  auto reply2 = client_->Call<protocol::LogBatchReply>(lines, kTimeout);
  EXPECT_NE(reply2.status().message().find("(log_batch_lines)"), std::string::npos)
      << reply2.status().ToString();
  // A batch within the limits is stored.
  protocol::LogBatchRequest ok = b;
  ok.lines.data.clear();
  protocol::AppendLine(ok.lines.data, "hello");
  auto stored = client_->Call<protocol::LogBatchReply>(ok, kTimeout);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_EQ(stored->next_seq, 1u);
}

TEST_F(ServerLimitsTest, OversizedMetricBatchIsRefusedNamingTheLimit) {
  std::string job = SubmitValidJob();
  protocol::MetricBatchRequest b;
  b.node_id = "node-1";
  b.job_id = job;
  std::string record(protocol::kMaxMetricRecordBytes, 'x');
  while (b.points.data.size() <= protocol::kMaxMetricBatchBytes) {
    protocol::AppendLine(b.points.data, record);
  }
  auto reply = client_->Call<protocol::MetricBatchReply>(b, kTimeout);
  ExpectRefused(reply.status(), "metric_batch_bytes");
}

TEST_F(ServerLimitsTest, StatsCountRefusalsByLimitAndPeers) {
  protocol::RankEventRequest e;
  e.node_id = std::string(protocol::kMaxNameBytes + 1, 'n');
  auto reply = client_->Call<protocol::OkReply>(e, kTimeout);
  ExpectRefused(reply.status(), "name_bytes");
  auto other = server_.NewClient();
  ASSERT_TRUE(Ping(*other).ok());
  protocol::ServerStatsReply stats = Stats();
  EXPECT_EQ(stats.refused_requests, 1u);
  EXPECT_EQ(stats.peers, 2u);
  EXPECT_EQ(stats.limits["code_archive_bytes"], protocol::kMaxCodeArchiveBytes);
  EXPECT_EQ(stats.limits["frame_bytes"], protocol::kMaxFrameBytes);
}

TEST_F(ServerLimitsTest, RankEventsOverTheItemLimitAreRefused) {
  protocol::RankEventsRequest batch;
  batch.node_id = "node-1";
  batch.events.resize(protocol::kMaxRankEventsItems / 2);
  batch.empty_outputs.resize(protocol::kMaxRankEventsItems - batch.events.size() + 1);
  auto reply = client_->Call<protocol::RankEventsReply>(batch, kTimeout);
  ExpectRefused(reply.status(), "rank_events_items");
  EXPECT_EQ(Stats().limits["rank_events_items"], protocol::kMaxRankEventsItems);
}

TEST_F(ServerLimitsTest, RankEventsCheckEachEventLikeARankEvent) {
  protocol::RankEventsRequest batch;
  batch.node_id = "node-1";
  batch.events.resize(3);
  batch.events[2].message = std::string(protocol::kMaxTextBytes + 1, 'm');
  auto reply = client_->Call<protocol::RankEventsReply>(batch, kTimeout);
  ExpectRefused(reply.status(), "text_bytes");
}

}  // namespace
}  // namespace jobctl::controller
