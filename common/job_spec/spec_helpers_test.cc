// Quantities, did-you-mean and command templates.
#include <gtest/gtest.h>

#include <array>
#include <string_view>

#include "common/job_spec/command_template.h"
#include "common/job_spec/did_you_mean.h"
#include "common/job_spec/quantity.h"

namespace jobctl {
namespace {

TEST(QuantityTest, IntegersAreStrict) {
  EXPECT_EQ(ParseInteger("42"), 42);
  EXPECT_EQ(ParseInteger("-3"), -3);
  EXPECT_EQ(ParseInteger("+7"), 7);
  EXPECT_FALSE(ParseInteger("2.0"));
  EXPECT_FALSE(ParseInteger("0x10"));
  EXPECT_FALSE(ParseInteger(" 1"));
  EXPECT_FALSE(ParseInteger(""));
  EXPECT_FALSE(ParseInteger("-"));
  EXPECT_FALSE(ParseInteger("99999999999999999999"));
}

TEST(QuantityTest, NumbersAreFiniteDecimals) {
  EXPECT_EQ(ParseNumber("0.5"), 0.5);
  EXPECT_EQ(ParseNumber("1e-3"), 1e-3);
  EXPECT_EQ(ParseNumber("+2"), 2.0);
  EXPECT_FALSE(ParseNumber("nan"));
  EXPECT_FALSE(ParseNumber("inf"));
  EXPECT_FALSE(ParseNumber("1e999"));
  EXPECT_FALSE(ParseNumber("1.2.3"));
  EXPECT_FALSE(ParseNumber("fast"));
}

TEST(QuantityTest, MemorySizes) {
  EXPECT_EQ(ParseMemorySize("512Mi"), 512LL * 1024 * 1024);
  EXPECT_EQ(ParseMemorySize("4Gi"), 4LL * 1024 * 1024 * 1024);
  EXPECT_EQ(ParseMemorySize("4GiB"), 4LL * 1024 * 1024 * 1024);
  EXPECT_EQ(ParseMemorySize("1.5Ki"), 1536);
  EXPECT_EQ(ParseMemorySize("2G"), 2000000000LL);
  EXPECT_EQ(ParseMemorySize("2GB"), 2000000000LL);
  EXPECT_EQ(ParseMemorySize("3k"), 3000);
  EXPECT_EQ(ParseMemorySize("1000000"), 1000000);
  EXPECT_EQ(ParseMemorySize("1Ti"), 1LL << 40);
  EXPECT_FALSE(ParseMemorySize("4Gb"));
  EXPECT_FALSE(ParseMemorySize("lots"));
  EXPECT_FALSE(ParseMemorySize("1.5"));
  EXPECT_FALSE(ParseMemorySize("Gi"));
  EXPECT_FALSE(ParseMemorySize("-1Gi"));
  EXPECT_FALSE(ParseMemorySize("99999999Pi"));
}

TEST(QuantityTest, Durations) {
  EXPECT_EQ(ParseDurationSeconds("3600"), 3600);
  EXPECT_EQ(ParseDurationSeconds("30s"), 30);
  EXPECT_EQ(ParseDurationSeconds("10m"), 600);
  EXPECT_EQ(ParseDurationSeconds("2h"), 7200);
  EXPECT_EQ(ParseDurationSeconds("1d"), 86400);
  EXPECT_EQ(ParseDurationSeconds("1h30m"), 5400);
  EXPECT_FALSE(ParseDurationSeconds("10x"));
  EXPECT_FALSE(ParseDurationSeconds("h"));
  EXPECT_FALSE(ParseDurationSeconds("1.5h"));
  EXPECT_FALSE(ParseDurationSeconds("-5s"));
  EXPECT_FALSE(ParseDurationSeconds(""));
}

TEST(DidYouMeanTest, EditDistanceCountsTranspositionsOnce) {
  EXPECT_EQ(EditDistance("instance_cuont", "instance_count"), 1u);
  EXPECT_EQ(EditDistance("", "abc"), 3u);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
  EXPECT_EQ(EditDistance("same", "same"), 0u);
}

TEST(DidYouMeanTest, SuggestsOnlyCloseCandidates) {
  constexpr std::array<std::string_view, 3> kKeys = {"command", "compute", "code"};
  EXPECT_EQ(ClosestMatch("comand", kKeys), "command");
  EXPECT_EQ(ClosestMatch("compte", kKeys), "compute");
  EXPECT_EQ(ClosestMatch("zzzzzz", kKeys), std::nullopt);
  constexpr std::array<std::string_view, 1> kLong = {"gpus_per_node"};
  EXPECT_EQ(ClosestMatch("gpus", kLong), "gpus_per_node");
}

TEST(CommandTemplateTest, FindsReferencesInOrder) {
  CommandTemplate scanned =
      ScanCommandTemplate("a ${{inputs.x}} b ${{ outputs.y_2 }} ${HOME} $${{inputs.z}}");
  EXPECT_TRUE(scanned.problems.empty());
  ASSERT_EQ(scanned.references.size(), 3u);
  EXPECT_EQ(scanned.references[0].kind, CommandReference::Kind::kInput);
  EXPECT_EQ(scanned.references[0].name, "x");
  EXPECT_EQ(scanned.references[0].text, "${{inputs.x}}");
  EXPECT_EQ(scanned.references[1].kind, CommandReference::Kind::kOutput);
  EXPECT_EQ(scanned.references[1].name, "y_2");
  EXPECT_EQ(scanned.references[2].name, "z");
}

TEST(CommandTemplateTest, ReportsBadReferences) {
  EXPECT_EQ(ScanCommandTemplate("${{inputs.}}").problems.size(), 1u);
  EXPECT_EQ(ScanCommandTemplate("${{inputs.1x}}").problems.size(), 1u);
  EXPECT_EQ(ScanCommandTemplate("${{secrets.x}}").problems.size(), 1u);
  EXPECT_EQ(ScanCommandTemplate("echo ${{inputs.x").problems.size(), 1u);
}

TEST(CommandTemplateTest, ReplacesOnlyWhatTheCallbackAnswers) {
  std::string out = ReplaceReferences("${{inputs.a}}/${{inputs.b}}",
                                      [](const CommandReference& r) -> std::optional<std::string> {
                                        if (r.name == "a") return "A";
                                        return std::nullopt;
                                      });
  EXPECT_EQ(out, "A/${{inputs.b}}");
}

}  // namespace
}  // namespace jobctl
