#include "common/protocol/metric_records.h"

#include <gtest/gtest.h>

namespace jobctl::protocol {
namespace {

TEST(MetricLineTest, ParsesNameValueAndOptionalStep) {
  auto a = ParseMetricLine("train_loss 0.25 3");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(a->has_value());
  EXPECT_EQ((*a)->name, "train_loss");
  EXPECT_DOUBLE_EQ((*a)->value, 0.25);
  EXPECT_EQ((*a)->step, 3);
  auto b = ParseMetricLine("\tval/acc  -1.5e-3\r");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ((*b)->name, "val/acc");
  EXPECT_DOUBLE_EQ((*b)->value, -1.5e-3);
  EXPECT_FALSE((*b)->step.has_value());
}

TEST(MetricLineTest, SkipsEmptyAndCommentLines) {
  EXPECT_FALSE(ParseMetricLine("")->has_value());
  EXPECT_FALSE(ParseMetricLine("   ")->has_value());
  EXPECT_FALSE(ParseMetricLine("# a comment 1 2")->has_value());
}

TEST(MetricLineTest, RejectsBadLines) {
  for (const char* bad :
       {"loss", "loss abc", "loss 1 2 3", "lo$s 1", "loss nan", "loss inf", "loss 0x10",
        "loss 1 -2", "loss 1 1.5", "loss 1e999", "loss 1 99999999999999999"}) {
    auto r = ParseMetricLine(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
    }
  }
  EXPECT_FALSE(ParseMetricLine(std::string(200, 'a') + " 1").ok());
  EXPECT_FALSE(ParseMetricLine("a " + std::string(2000, '1')).ok());
}

TEST(MetricRecordTest, RoundTrips) {
  MetricPoint p{"val_accuracy", 7, 0.9375, 1234567};
  auto d = DecodeMetricPoint(EncodeMetricPoint(p));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->name, p.name);
  EXPECT_EQ(d->step, p.step);
  EXPECT_EQ(d->value, p.value);
  EXPECT_EQ(d->time_ms, p.time_ms);
  EXPECT_FALSE(DecodeMetricPoint("short").ok());
}

}  // namespace
}  // namespace jobctl::protocol
