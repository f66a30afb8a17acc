#include "common/protocol/codec.h"

#include <gtest/gtest.h>

#include "common/protocol/event_messages.h"
#include "common/protocol/limits.h"
#include "common/protocol/log_records.h"

namespace jobctl::protocol {
namespace {

TEST(CodecTest, RoundTripsSubmitWithBinaryCode) {
  SubmitJobRequest req;
  req.spec.name = "hello";
  req.spec.command = "echo hi";
  req.spec.resources.instance_count = 2;
  req.spec.environment = JobEnvironment{"busybox:1", "never"};
  req.code_archive.data = std::string("\x00\xff\x1f\x8b", 4);
  auto env = DecodeEnvelope(Encode(req, 42));
  ASSERT_TRUE(env.ok()) << env.status().ToString();
  EXPECT_EQ(env->request_id, 42u);
  auto back = DecodeBody<SubmitJobRequest>(*env);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->spec.name, "hello");
  EXPECT_EQ(back->spec.resources.instance_count, 2);
  ASSERT_TRUE(back->spec.environment.has_value());
  EXPECT_EQ(back->spec.environment->pull_policy, "never");
  EXPECT_EQ(back->code_archive.data, req.code_archive.data);
}

TEST(CodecTest, RejectsGarbageAndTruncation) {
  EXPECT_FALSE(DecodeEnvelope("not msgpack at all").ok());
  std::string frame = Encode(PingRequest{}, 1);
  EXPECT_FALSE(DecodeEnvelope(std::string_view(frame).substr(0, frame.size() - 1)).ok());
  EXPECT_FALSE(DecodeEnvelope("").ok());
}

TEST(CodecTest, RejectsWrongTypeAndVersion) {
  auto env = DecodeEnvelope(Encode(PingRequest{}, 1));
  ASSERT_TRUE(env.ok());
  EXPECT_FALSE(DecodeBody<GetJobRequest>(*env).ok());
  Envelope e;
  e.version = 99;
  e.type = "ping";
  e.body = nlohmann::json::object();
  auto bad = DecodeEnvelope(EncodeEnvelope(e));
  EXPECT_EQ(bad.status().code(), StatusCode::kFailedPrecondition);
}

// A float where the message has an integer (found by fuzz/wire_fuzzer) is
// refused by name; floats in floating-point fields still decode.
TEST(CodecTest, RefusesAFloatInAnIntegerField) {
  Envelope e;
  e.type = "stop_attempt";
  e.body = {{"job_id", "1"}, {"attempt", 1e21}, {"reason", "x"}};
  auto stop = DecodeBody<StopAttemptCommand>(*DecodeEnvelope(EncodeEnvelope(e)));
  ASSERT_FALSE(stop.ok());
  EXPECT_NE(stop.status().message().find("body.attempt: expected an integer"), std::string::npos)
      << stop.status().message();

  e.type = "start_attempt";
  e.body = {{"job_id", "1"}, {"gpus", {{0, 1.5}}}};
  auto start = DecodeBody<StartAttemptCommand>(*DecodeEnvelope(EncodeEnvelope(e)));
  ASSERT_FALSE(start.ok());
  EXPECT_NE(start.status().message().find("body.gpus[0][1]"), std::string::npos)
      << start.status().message();

  RegisterNodeRequest reg;
  reg.node.id = "n";
  reg.node.cpus = 2.5;
  auto decoded = DecodeBody<RegisterNodeRequest>(*DecodeEnvelope(Encode(reg, 1)));
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_EQ(decoded->node.cpus, 2.5);
}

TEST(CodecTest, ErrorReplyCarriesStatus) {
  auto env = DecodeEnvelope(EncodeError(NotFoundError("job 9 does not exist"), 5));
  ASSERT_TRUE(env.ok());
  Status s = StatusFromErrorReply(*env);
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "job 9 does not exist");
}

TEST(LogRecordsTest, LinesAndRecordsRoundTripBinary) {
  std::string packed;
  AppendLine(packed, "first");
  AppendLine(packed, std::string("\x00\xfe", 2));
  AppendLine(packed, "");
  auto lines = UnpackLines(packed);
  ASSERT_TRUE(lines.ok());
  ASSERT_EQ(lines->size(), 3u);
  EXPECT_EQ((*lines)[1], std::string_view("\x00\xfe", 2));
  EXPECT_FALSE(UnpackLines(std::string_view(packed).substr(0, 7)).ok());

  std::string recs;
  AppendRecord(recs, 2, 3, 1ULL << 40, "x");
  auto r = UnpackRecords(recs);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].attempt, 2u);
  EXPECT_EQ((*r)[0].rank, 3u);
  EXPECT_EQ((*r)[0].seq, 1ULL << 40);
  EXPECT_EQ((*r)[0].line, "x");
}

TEST(CodecTest, RoundTripsRankEventsAndTheirReply) {
  RankEventsRequest req;
  req.node_id = "node-1";
  RankEventRequest e;
  e.job_id = "7";
  e.attempt = 2;
  e.rank = 3;
  e.event = "exited";
  e.exit_code = 1;
  e.signal = 9;
  e.message = "killed";
  e.stopped = true;
  req.events.push_back(e);
  req.empty_outputs.push_back({"8", 1, 1, 2});
  auto env = DecodeEnvelope(Encode(req, 5));
  ASSERT_TRUE(env.ok()) << env.status().ToString();
  EXPECT_EQ(env->type, "rank_events");
  auto back = DecodeBody<RankEventsRequest>(*env);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->node_id, "node-1");
  ASSERT_EQ(back->events.size(), 1u);
  EXPECT_EQ(back->events[0].job_id, "7");
  EXPECT_EQ(back->events[0].attempt, 2);
  EXPECT_EQ(back->events[0].rank, 3);
  EXPECT_EQ(back->events[0].event, "exited");
  EXPECT_EQ(back->events[0].exit_code, 1);
  EXPECT_EQ(back->events[0].signal, 9);
  EXPECT_EQ(back->events[0].message, "killed");
  EXPECT_TRUE(back->events[0].stopped);
  EXPECT_TRUE(back->events[0].node_id.empty());
  ASSERT_EQ(back->empty_outputs.size(), 1u);
  EXPECT_EQ(back->empty_outputs[0].job_id, "8");
  EXPECT_EQ(back->empty_outputs[0].node_rank, 1);
  EXPECT_EQ(back->empty_outputs[0].num_nodes, 2);

  RankEventsReply reply;
  reply.refused.push_back({"events[0]", "NOT_FOUND", "job 7 does not exist"});
  auto renv = DecodeEnvelope(Encode(reply, 5));
  ASSERT_TRUE(renv.ok());
  auto rback = DecodeBody<RankEventsReply>(*renv);
  ASSERT_TRUE(rback.ok());
  ASSERT_EQ(rback->refused.size(), 1u);
  EXPECT_EQ(rback->refused[0].item, "events[0]");
  EXPECT_EQ(rback->refused[0].code, "NOT_FOUND");
  EXPECT_EQ(rback->refused[0].message, "job 7 does not exist");
}

TEST(CodecTest, RankEventsWithMissingFieldsGetDefaults) {
  // An empty body: the fields are added with defaults (docs/protocol.md).
  Envelope env;
  env.type = "rank_events";
  env.body = nlohmann::json::object();
  auto back = DecodeBody<RankEventsRequest>(env);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(back->events.empty());
  EXPECT_TRUE(back->empty_outputs.empty());
  static_assert(kMaxRankEventsItems >= 2, "a batch must hold an event and its manifest");
}

}  // namespace
}  // namespace jobctl::protocol
