#include "agent/log_reader.h"

#include <fcntl.h>

#include <boost/asio/buffer.hpp>

#include "common/protocol/log_records.h"

namespace jobctl::agent {

LineSplitter::LineSplitter(size_t max_line_bytes) : max_line_bytes_(max_line_bytes) {}

void LineSplitter::Feed(std::string_view data, const Sink& sink) {
  auto emit = [&](std::string_view chunk) {
    if (partial_.empty()) {
      sink(chunk);
    } else {
      partial_.append(chunk);
      sink(partial_);
      partial_.clear();
    }
  };
  while (!data.empty()) {
    size_t nl = data.find('\n');
    std::string_view chunk = nl == std::string_view::npos ? data : data.substr(0, nl);
    while (partial_.size() + chunk.size() > max_line_bytes_) {
      size_t room = max_line_bytes_ - partial_.size();
      emit(chunk.substr(0, room));
      chunk.remove_prefix(room);
    }
    if (nl == std::string_view::npos) {
      partial_.append(chunk);
      return;
    }
    emit(chunk);
    data.remove_prefix(nl + 1);
  }
}

void LineSplitter::Finish(const Sink& sink) {
  if (!partial_.empty()) {
    sink(partial_);
    partial_.clear();
  }
}

LogReader::LogReader(boost::asio::io_context& io, int fd, LinesSink sink,
                     std::function<void()> on_eof)
    : stream_(io, fd),
      splitter_(protocol::kMaxLineBytes),
      sink_(std::move(sink)),
      on_eof_(std::move(on_eof)),
      buffer_(new char[kReadBytes]) {
  ReadMore();
}

LogReader::~LogReader() {
  *alive_ = false;
  boost::system::error_code ignored;
  stream_.close(ignored);
}

void LogReader::ReadMore() {
  stream_.async_read_some(boost::asio::buffer(buffer_.get(), kReadBytes),
                          [this, alive = alive_](const boost::system::error_code& ec, size_t n) {
                            if (*alive) OnRead(ec, n);
                          });
}

void LogReader::OnRead(const boost::system::error_code& ec, size_t n) {
  std::vector<std::string_view> lines;
  owned_.clear();
  const char* begin = buffer_.get();
  const char* end = begin + kReadBytes;
  auto collect = [&](std::string_view line) {
    // Views into buffer_ stay valid for the sink call; a line built in the
    // splitter's own buffer is copied (a deque keeps addresses).
    if (line.data() >= begin && line.data() < end) {
      lines.push_back(line);
    } else {
      lines.push_back(owned_.emplace_back(line));
    }
  };
  // A read that filled the default pipe: this rank prints fast, so its pipe
  // grows to the read size (fewer wake-ups on both sides).
  if (n >= kDefaultPipeBytes && !pipe_grown_) {
    pipe_grown_ = true;
    (void)::fcntl(stream_.native_handle(), F_SETPIPE_SZ, static_cast<int>(kReadBytes));
  }
  if (n > 0) splitter_.Feed(std::string_view(buffer_.get(), n), collect);
  if (ec) splitter_.Finish(collect);
  if (!lines.empty()) sink_(lines);
  if (ec) {
    eof_ = true;
    auto cb = std::move(on_eof_);
    if (cb) cb();
    return;
  }
  ReadMore();
}

}  // namespace jobctl::agent
