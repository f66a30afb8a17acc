#include "cli/progress_bar.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "cli/output.h"

namespace jobctl::cli {

ProgressBar::ProgressBar(int64_t total_bytes, int total_files, bool enabled)
    : total_bytes_(total_bytes),
      total_files_(total_files),
      enabled_(enabled),
      start_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() {
  if (enabled_ && !finished_) std::fputc('\n', stderr);
}

bool ProgressBar::StderrIsTerminal() { return ::isatty(STDERR_FILENO) == 1; }

double ProgressBar::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

std::string ProgressBar::Render(int64_t done, int64_t total, int files_done, int files,
                                double seconds, const std::string& current, int width) {
  double fraction = total > 0 ? std::clamp(double(done) / double(total), 0.0, 1.0) : 1.0;
  constexpr int kBar = 24;
  int filled = static_cast<int>(fraction * kBar);
  std::string bar = "[" + std::string(static_cast<size_t>(filled), '=') +
                    (filled < kBar ? ">" : "") +
                    std::string(static_cast<size_t>(std::max(0, kBar - filled - 1)), ' ') + "]";
  char stats[160];
  double rate = seconds > 0 ? double(done) / seconds : 0;
  std::snprintf(stats, sizeof stats, " %3d%% %s/%s %s/s %d/%d files ",
                static_cast<int>(fraction * 100), FormatBytes(done).c_str(),
                FormatBytes(total).c_str(), FormatBytes(static_cast<int64_t>(rate)).c_str(),
                files_done, files);
  std::string line = bar + stats;
  int room = width - static_cast<int>(line.size());
  if (room > 4) {
    std::string name = current;
    if (static_cast<int>(name.size()) > room)
      name = "..." + name.substr(name.size() - size_t(room - 3));
    line += name;
  }
  if (static_cast<int>(line.size()) > width) line.resize(static_cast<size_t>(std::max(0, width)));
  return line;
}

void ProgressBar::Update(int64_t bytes_done, int files_done, const std::string& current) {
  done_ = bytes_done;
  files_done_ = files_done;
  current_ = current;
  Draw(false);
}

void ProgressBar::Finish() {
  if (finished_) return;
  Draw(true);
  if (enabled_) std::fputc('\n', stderr);
  finished_ = true;
}

void ProgressBar::Draw(bool force) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  int width = 100;
  struct winsize ws;
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20) width = ws.ws_col - 1;
  std::string line =
      Render(done_, total_bytes_, files_done_, total_files_, elapsed_seconds(), current_, width);
  std::fprintf(stderr, "\r%s\033[K", line.c_str());
  std::fflush(stderr);
}

}  // namespace jobctl::cli
