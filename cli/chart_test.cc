// RenderChart against golden files (cli/testdata/chart_*.txt). After an
// intended change, regenerate them with JOBCTL_UPDATE_GOLDEN=1 and review
// the diff.
#include "cli/chart.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace jobctl::cli {
namespace {

std::vector<ChartSeries> FixedSeries() {
  ChartSeries loss{"train_loss", {}}, val{"val_loss", {}};
  for (int step = 0; step <= 100; ++step) {
    double x = step;
    loss.points.emplace_back(x, 2.0 / (1.0 + 0.05 * x) + 0.1 * std::sin(x / 3.0));
    if (step % 10 == 0) val.points.emplace_back(x, 2.2 / (1.0 + 0.04 * x));
  }
  return {loss, val};
}

void ExpectGolden(const std::string& file, const std::string& got) {
  std::string path = std::string(JOBCTL_CLI_TESTDATA) + "/" + file;
  if (std::getenv("JOBCTL_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(path) << got;
    GTEST_SKIP() << "wrote " << path;
  }
  std::ifstream in(path);
  ASSERT_TRUE(in) << "missing golden file " << path;
  std::stringstream want;
  want << in.rdbuf();
  EXPECT_EQ(got, want.str()) << "chart differs from " << path << "; got:\n" << got;
}

TEST(ChartTest, BrailleWidth60) {
  ExpectGolden("chart_braille_60.txt", RenderChart(FixedSeries(), 60, 10, ChartStyle::kBraille));
}

TEST(ChartTest, BrailleWidth100) {
  ExpectGolden("chart_braille_100.txt", RenderChart(FixedSeries(), 100, 10, ChartStyle::kBraille));
}

TEST(ChartTest, PlainWidth60) {
  std::string chart = RenderChart(FixedSeries(), 60, 10, ChartStyle::kPlain);
  for (char c : chart) {
    ASSERT_TRUE(c == '\n' || (c >= 0x20 && c < 0x7f)) << "non-ASCII or escape in the plain chart";
  }
  ExpectGolden("chart_plain_60.txt", chart);
}

TEST(ChartTest, FitsTheWidthAndHeight) {
  for (int width : {30, 60, 100}) {
    std::string chart = RenderChart(FixedSeries(), width, 6, ChartStyle::kPlain);
    std::istringstream lines(chart);
    std::string line;
    int count = 0;
    while (std::getline(lines, line)) {
      EXPECT_LE(static_cast<int>(line.size()), width) << line;
      ++count;
    }
    // Rows, axis, x range, legend (wrapped onto two lines when narrow).
    EXPECT_EQ(count, width >= 40 ? 6 + 3 : 6 + 4);
  }
}

TEST(ChartTest, EdgeCases) {
  EXPECT_EQ(RenderChart({}, 60, 5, ChartStyle::kPlain), "(no points)\n");
  // One point, a flat line: no division by zero, the point is drawn.
  std::string one = RenderChart({{"", {{3, 1.5}}}}, 40, 4, ChartStyle::kPlain);
  EXPECT_NE(one.find('*'), std::string::npos) << one;
}

}  // namespace
}  // namespace jobctl::cli
