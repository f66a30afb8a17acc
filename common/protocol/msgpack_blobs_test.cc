#include "common/protocol/msgpack_blobs.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "common/protocol/codec.h"
#include "common/protocol/log_records.h"

namespace jobctl::protocol {
namespace {

using json = nlohmann::json;

json Plain(const std::string& frame) {
  return json::from_msgpack(frame.begin(), frame.end(), true, false);
}

std::vector<uint8_t> Bytes(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(seed + i * 7);
  return v;
}

std::string Pack(const json& j) {
  std::string out;
  json::to_msgpack(j, out);
  return out;
}

TEST(MsgpackBlobsTest, SameJsonAsNlohmannForNestedBigBins) {
  json j = {{"v", 1},
            {"t", "log_batch"},
            {"id", 123456789012ull},
            {"b",
             {{"lines", json::binary(Bytes(70000, 1))},  // bin32
              {"small", json::binary(Bytes(10, 2))},    // stays inline
              {"mid", json::binary(Bytes(5000, 3))},    // bin16
              {"list", json::array({json::binary(Bytes(4096, 4)), -5, 3.25, nullptr, true,
                                    "text", json::binary(Bytes(300, 5), 7)})},
              {"neg", -70000},
              {"big", 1ull << 40}}}};
  std::string frame = Pack(j);
  json fast = ParseMsgpackWithBlobs(frame);
  ASSERT_FALSE(fast.is_discarded());
  EXPECT_EQ(fast, Plain(frame));
  EXPECT_EQ(fast["b"]["lines"].get_binary().size(), 70000u);
  EXPECT_FALSE(fast["b"]["lines"].get_binary().has_subtype());
}

TEST(MsgpackBlobsTest, PlaceholderTypedExtInTheFrameFallsBackToNlohmann) {
  // An ext value of the type used for placeholders is decoded as it is.
  json j = {{"a", json::binary(Bytes(8, 9), 0x6a)}, {"b", json::binary(Bytes(9000, 1))}};
  std::string frame = Pack(j);
  EXPECT_EQ(ParseMsgpackWithBlobs(frame), Plain(frame));
}

TEST(MsgpackBlobsTest, TruncatedAndCorruptFramesAreDiscardedLikeNlohmann) {
  json j = {{"x", json::binary(Bytes(10000, 1))}, {"y", "z"}};
  std::string frame = Pack(j);
  for (size_t cut : {frame.size() - 1, frame.size() / 2, size_t{5000}, size_t{4097}}) {
    std::string t = frame.substr(0, cut);
    EXPECT_EQ(ParseMsgpackWithBlobs(t).is_discarded(), Plain(t).is_discarded()) << cut;
  }
  std::string trailing = frame + "x";
  EXPECT_EQ(ParseMsgpackWithBlobs(trailing).is_discarded(), Plain(trailing).is_discarded());
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    std::string f = frame;
    for (int k = 0; k < 3; ++k) f[rng() % 40] = static_cast<char>(rng());
    json fast = ParseMsgpackWithBlobs(f);
    json plain = Plain(f);
    EXPECT_EQ(fast.is_discarded(), plain.is_discarded()) << round;
    if (!fast.is_discarded() && !plain.is_discarded()) {
      EXPECT_EQ(fast, plain) << round;
    }
  }
}

TEST(MsgpackBlobsTest, LogBatchRoundTripsThroughTheCodec) {
  LogBatchRequest b;
  b.node_id = "n1";
  b.job_id = "7";
  b.first_seq = 42;
  for (int i = 0; i < 20000; ++i) AppendLine(b.lines.data, "line " + std::to_string(i));
  auto env = DecodeEnvelope(Encode(b, 9));
  ASSERT_TRUE(env.ok()) << env.status().ToString();
  auto back = DecodeBody<LogBatchRequest>(*env);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->lines.data, b.lines.data);
  EXPECT_EQ(back->first_seq, 42u);
  EXPECT_EQ(back->job_id, "7");
}

}  // namespace
}  // namespace jobctl::protocol
