#include "common/protocol/codec.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace jobctl::protocol
