// Line charts drawn in the terminal, for `jobctl metrics` and `jobctl
// compare`.
//
// RenderChart is a pure function: series of (x, y) points -> text of exactly
// `height` plot rows plus an x-axis row, an x-range row and (with more than one series, or a
// labelled one) a legend row, every row at most `width` columns. The y range
// is labelled on the left (max on the top row, min on the bottom row), the x
// range under the plot; legend entries wrap to stay within `width`. Points
// of a series are joined by straight lines.
//
// Styles: kBraille draws with Unicode braille cells (2x4 dots per cell) and
// ANSI colours per series; kPlain uses ASCII only, no escape codes, and a
// different glyph per series (* + o x # @). Use kPlain when NO_COLOR is set
// or stdout is not a terminal.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace jobctl::cli {

struct ChartSeries {
  std::string label;
  std::vector<std::pair<double, double>> points;  // (x, y), any order of x
};

enum class ChartStyle { kBraille, kPlain };

std::string RenderChart(const std::vector<ChartSeries>& series, int width, int height,
                        ChartStyle style);

// kPlain when NO_COLOR is set (non-empty) or `fd` is not a terminal.
ChartStyle ChartStyleFor(int fd);
// The terminal's width in columns (`fd`, then $COLUMNS), else 80.
int TerminalWidth(int fd);

// "%.4g"-style number for labels and tables: 0.0123, 1.235e+06, 42.
std::string FormatMetricValue(double value);

}  // namespace jobctl::cli
