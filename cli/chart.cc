#include "cli/chart.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace jobctl::cli {
namespace {

constexpr const char* kPlainGlyphs = "*+ox#@";
constexpr int kColors[] = {36, 33, 35, 32, 31, 34};  // cyan yellow magenta green red blue

std::string Utf8(unsigned cp) {
  std::string out;
  out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
  out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
  out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  return out;
}

std::string Color(int series, const std::string& text) {
  return "\x1b[" + std::to_string(kColors[series % 6]) + "m" + text + "\x1b[0m";
}

// Calls plot(x, y) for every grid point on the segment (Bresenham).
template <typename Plot>
void Line(int x0, int y0, int x1, int y1, Plot plot) {
  int dx = std::abs(x1 - x0), sx = x0 < x1 ? 1 : -1;
  int dy = -std::abs(y1 - y0), sy = y0 < y1 ? 1 : -1;
  int err = dx + dy;
  for (int guard = 0; guard < 100000; ++guard) {
    plot(x0, y0);
    if (x0 == x1 && y0 == y1) break;
    int e2 = 2 * err;
    if (e2 >= dy) {
      err += dy;
      x0 += sx;
    }
    if (e2 <= dx) {
      err += dx;
      y0 += sy;
    }
  }
}

std::string PadLeft(const std::string& s, size_t n) {
  return s.size() >= n ? s : std::string(n - s.size(), ' ') + s;
}

}  // namespace

std::string FormatMetricValue(double value) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.4g", value);
  return buf;
}

std::string RenderChart(const std::vector<ChartSeries>& series, int width, int height,
                        ChartStyle style) {
  double xmin = std::numeric_limits<double>::infinity(), xmax = -xmin;
  double ymin = xmin, ymax = -xmin;
  for (const auto& s : series) {
    for (const auto& [x, y] : s.points) {
      xmin = std::min(xmin, x);
      xmax = std::max(xmax, x);
      ymin = std::min(ymin, y);
      ymax = std::max(ymax, y);
    }
  }
  if (!std::isfinite(xmin)) return "(no points)\n";
  if (ymin == ymax) {
    double pad = ymin == 0 ? 1 : std::abs(ymin) * 0.1;
    ymin -= pad;
    ymax += pad;
  }
  height = std::max(height, 2);
  std::string top = FormatMetricValue(ymax), bottom = FormatMetricValue(ymin);
  std::string middle = FormatMetricValue((ymin + ymax) / 2);
  size_t label_w = std::max({top.size(), bottom.size(), height >= 5 ? middle.size() : 0});
  int plot_w = std::max(10, width - static_cast<int>(label_w) - 2);
  bool braille = style == ChartStyle::kBraille;
  int sub_x = braille ? 2 : 1, sub_y = braille ? 4 : 1;
  int px_w = plot_w * sub_x, px_h = height * sub_y;

  // Per cell: braille dot mask (or the glyph's series + 1) and the series
  // drawn last there (its colour).
  std::vector<unsigned> mask(static_cast<size_t>(plot_w * height), 0);
  std::vector<int> owner(static_cast<size_t>(plot_w * height), -1);
  auto to_px = [&](double x, double y) {
    int px = xmax == xmin ? px_w / 2
                          : static_cast<int>(std::lround((x - xmin) / (xmax - xmin) * (px_w - 1)));
    int py = static_cast<int>(std::lround((ymax - y) / (ymax - ymin) * (px_h - 1)));
    return std::pair<int, int>{std::clamp(px, 0, px_w - 1), std::clamp(py, 0, px_h - 1)};
  };
  static constexpr unsigned kDots[4][2] = {{0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20}, {0x40, 0x80}};
  for (size_t si = 0; si < series.size(); ++si) {
    auto points = series[si].points;
    std::stable_sort(points.begin(), points.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    auto plot = [&](int px, int py) {
      size_t cell = static_cast<size_t>((py / sub_y) * plot_w + px / sub_x);
      if (braille) {
        mask[cell] |= kDots[py % 4][px % 2];
      } else {
        mask[cell] = 1;
      }
      owner[cell] = static_cast<int>(si);
    };
    for (size_t i = 0; i < points.size(); ++i) {
      auto [x1, y1] = to_px(points[i].first, points[i].second);
      if (i == 0) {
        plot(x1, y1);
        continue;
      }
      auto [x0, y0] = to_px(points[i - 1].first, points[i - 1].second);
      Line(x0, y0, x1, y1, plot);
    }
  }

  std::string out;
  for (int row = 0; row < height; ++row) {
    std::string label;
    if (row == 0) label = top;
    if (row == height - 1) label = bottom;
    if (height >= 5 && row == (height - 1) / 2) label = middle;
    out += PadLeft(label, label_w);
    out += braille ? " " + Utf8(0x2524) : " |";  // ┤
    int open_color = -1;  // the series whose colour is on; one escape per run
    for (int col = 0; col < plot_w; ++col) {
      size_t cell = static_cast<size_t>(row * plot_w + col);
      int s = owner[cell];
      if (mask[cell] == 0) {
        if (open_color >= 0) out += "\x1b[0m";
        open_color = -1;
        out += ' ';
      } else if (braille) {
        if (s != open_color) {
          if (open_color >= 0) out += "\x1b[0m";
          out += "\x1b[" + std::to_string(kColors[s % 6]) + "m";
          open_color = s;
        }
        out += Utf8(0x2800 + mask[cell]);
      } else {
        out += kPlainGlyphs[s % 6];
      }
    }
    if (open_color >= 0) out += "\x1b[0m";
    // No trailing blanks.
    while (!out.empty() && out.back() == ' ') out.pop_back();
    out += '\n';
  }
  // The x axis and its range.
  out += std::string(label_w + 1, ' ');
  if (braille) {
    out += Utf8(0x2514);                                   // └
    for (int i = 0; i < plot_w; ++i) out += Utf8(0x2500);  // ─
  } else {
    out += '+' + std::string(static_cast<size_t>(plot_w), '-');
  }
  out += '\n';
  std::string left = FormatMetricValue(xmin), right = FormatMetricValue(xmax);
  std::string axis = std::string(label_w + 2, ' ') + left;
  size_t right_at = label_w + 2 + static_cast<size_t>(plot_w) - right.size();
  if (xmax != xmin && right_at > axis.size())
    axis += std::string(right_at - axis.size(), ' ') + right;
  out += axis + '\n';
  bool legend = series.size() > 1 || (series.size() == 1 && !series[0].label.empty());
  if (legend) {
    // Entries wrap onto more lines rather than pass the width.
    std::string line = std::string(label_w + 2, ' ');
    size_t visible = line.size();
    bool first = true;
    for (size_t si = 0; si < series.size(); ++si) {
      size_t entry = 2 + series[si].label.size();
      if (!first && visible + 2 + entry > static_cast<size_t>(width)) {
        out += line + '\n';
        line = std::string(label_w + 2, ' ');
        visible = line.size();
        first = true;
      }
      if (!first) {
        line += "  ";
        visible += 2;
      }
      std::string glyph = braille ? Color(static_cast<int>(si), Utf8(0x28FF))
                                  : std::string(1, kPlainGlyphs[si % 6]);
      line += glyph + " " + series[si].label;
      visible += entry;
      first = false;
    }
    out += line + '\n';
  }
  return out;
}

ChartStyle ChartStyleFor(int fd) {
  const char* no_color = std::getenv("NO_COLOR");
  if ((no_color != nullptr && *no_color != 0) || !::isatty(fd)) return ChartStyle::kPlain;
  return ChartStyle::kBraille;
}

int TerminalWidth(int fd) {
  struct winsize ws {};
  if (::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  if (const char* cols = std::getenv("COLUMNS")) {
    int n = std::atoi(cols);
    if (n > 0) return n;
  }
  return 80;
}

}  // namespace jobctl::cli
