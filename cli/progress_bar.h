// ProgressBar: one self-rewriting line on stderr for long transfers
// (`jobctl download`, `jobctl model download`), drawn only when stderr is a
// terminal; elsewhere it stays silent and the command prints a plain summary.
//
// Thread-safety: not thread-safe; one thread drives it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace jobctl::cli {

class ProgressBar {
 public:
  ProgressBar(int64_t total_bytes, int total_files, bool enabled);
  ~ProgressBar();

  // Bytes done so far and the file being transferred; redraws at most 10
  // times a second.
  void Update(int64_t bytes_done, int files_done, const std::string& current);
  // Draws the final state and ends the line.
  void Finish();
  double elapsed_seconds() const;

  static bool StderrIsTerminal();
  // The line for a state, `width` columns at most (exposed for tests).
  static std::string Render(int64_t done, int64_t total, int files_done, int files, double seconds,
                            const std::string& current, int width);

 private:
  void Draw(bool force);

  int64_t total_bytes_;
  int total_files_;
  bool enabled_;
  bool finished_ = false;
  int64_t done_ = 0;
  int files_done_ = 0;
  std::string current_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace jobctl::cli
