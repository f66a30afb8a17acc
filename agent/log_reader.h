// Reading a rank's output as lines.
//
// LineSplitter turns a byte stream into lines: split on '\n' (which is not
// part of the line), binary-safe (any byte but '\n' is kept, NUL included), a
// line longer than protocol::kMaxLineBytes is cut into pieces of that size,
// and Finish() emits a last line that had no newline.
//
// LogReader reads one pipe (a rank's stdout or stderr) with large reads on an
// Asio io_context and feeds a LineSplitter; each stream has its own splitter,
// so a partial line of stdout is never merged with stderr's. Both streams of
// a rank hand their lines to the same sink (the rank's LogSpool), which
// numbers them in one sequence. `on_eof` is called once when the pipe is
// closed (or fails) and the last partial line has been emitted. A read that
// finds the pipe full (64 KiB, the default size) grows the pipe to 1 MiB
// (best effort), so a rank that prints fast runs ahead while the agent ships
// and one read takes up to 1 MiB: fewer wake-ups on both sides; a rank that
// prints little never pays for the big pipe.
//
// Thread-safety: LineSplitter is a value; LogReader belongs to the thread
// running its io_context.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace jobctl::agent {

class LineSplitter {
 public:
  using Sink = std::function<void(std::string_view line)>;
  explicit LineSplitter(size_t max_line_bytes);

  // Emits every complete line in `data` (plus what was buffered before).
  void Feed(std::string_view data, const Sink& sink);
  // Emits the buffered partial line, if any.
  void Finish(const Sink& sink);

 private:
  size_t max_line_bytes_;
  std::string partial_;
};

class LogReader {
 public:
  using LinesSink = std::function<void(const std::vector<std::string_view>& lines)>;
  // Takes ownership of `fd`. Lines are handed over in groups, one group per
  // read, so the sink can batch its work.
  LogReader(boost::asio::io_context& io, int fd, LinesSink sink, std::function<void()> on_eof);
  ~LogReader();
  LogReader(const LogReader&) = delete;
  LogReader& operator=(const LogReader&) = delete;

  bool eof() const { return eof_; }

 private:
  void ReadMore();
  // One read's bytes (n) and its end (ec): lines to the sink, then the next read.
  void OnRead(const boost::system::error_code& ec, size_t n);

  static constexpr size_t kReadBytes = 1 << 20;
  static constexpr size_t kDefaultPipeBytes = 64 << 10;
  boost::asio::posix::stream_descriptor stream_;
  LineSplitter splitter_;
  LinesSink sink_;
  std::function<void()> on_eof_;
  // Not zero-filled: a rank that prints little touches few of its pages.
  std::unique_ptr<char[]> buffer_;
  std::deque<std::string> owned_;  // lines that spanned reads, owned for the sink call
  bool eof_ = false;
  bool pipe_grown_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace jobctl::agent
