#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "agent/log_reader.h"
#include "common/protocol/log_records.h"

namespace jobctl::agent {
namespace {

std::vector<std::string> Split(const std::vector<std::string>& chunks, size_t max = 16) {
  LineSplitter s(max);
  std::vector<std::string> out;
  auto sink = [&](std::string_view l) { out.emplace_back(l); };
  for (const auto& c : chunks) s.Feed(c, sink);
  s.Finish(sink);
  return out;
}

TEST(LineSplitterTest, SplitsOnNewlineAcrossChunks) {
  EXPECT_EQ(Split({"a\nbb", "b\n", "\nc"}),
            (std::vector<std::string>{"a", "bbb", "", "c"}));
}

TEST(LineSplitterTest, BinarySafe) {
  std::string bin("x\0y\xff\r", 5);
  EXPECT_EQ(Split({bin + "\n" + std::string("\0", 1) + "\n"}),
            (std::vector<std::string>{bin, std::string("\0", 1)}));
}

TEST(LineSplitterTest, PartialLastLineFlushedAtFinish) {
  EXPECT_EQ(Split({"one\ntw", "o"}), (std::vector<std::string>{"one", "two"}));
  EXPECT_TRUE(Split({""}).empty());
}

TEST(LineSplitterTest, LongLinesAreCutAtTheLimit) {
  // 16 bytes per piece; a line of exactly 16 is one line.
  EXPECT_EQ(Split({std::string(16, 'a') + "\n"}),
            (std::vector<std::string>{std::string(16, 'a')}));
  EXPECT_EQ(Split({std::string(20, 'a'), std::string(20, 'b') + "\nz\n"}),
            (std::vector<std::string>{std::string(16, 'a'), std::string(4, 'a') +
                                      std::string(12, 'b'), std::string(8, 'b'), "z"}));
}

TEST(LineSplitterTest, ProtocolLimitIs16KiB) {
  std::string big(protocol::kMaxLineBytes * 2 + 5, 'q');
  auto lines = Split({big + "\n"}, protocol::kMaxLineBytes);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].size(), protocol::kMaxLineBytes);
  EXPECT_EQ(lines[1].size(), protocol::kMaxLineBytes);
  EXPECT_EQ(lines[2].size(), 5u);
}

}  // namespace
}  // namespace jobctl::agent
