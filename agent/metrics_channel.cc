#include "agent/metrics_channel.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "common/protocol/metric_records.h"

namespace jobctl::agent {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Printable(std::string_view line) {
  std::string out;
  for (char c : line.substr(0, 80)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  if (line.size() > 80) out += "...";
  return out;
}

}  // namespace

Result<std::unique_ptr<MetricsChannel>> MetricsChannel::Open(boost::asio::io_context& io,
                                                             std::string path, PointsFn on_points,
                                                             NoticeFn on_notice, FifoPool* fifos) {
  JOBCTL_ASSIGN_OR_RETURN(int fd, fifos ? fifos->Acquire(path) : MakeFifo(path));
  std::unique_ptr<MetricsChannel> channel(new MetricsChannel(
      io, std::move(path), fd, std::move(on_points), std::move(on_notice), fifos));
  channel->ReadMore();
  return channel;
}

MetricsChannel::MetricsChannel(boost::asio::io_context& io, std::string path, int fd,
                               PointsFn on_points, NoticeFn on_notice, FifoPool* fifos)
    : path_(std::move(path)),
      fifos_(fifos),
      pipe_(io, fd),
      on_points_(std::move(on_points)),
      on_notice_(std::move(on_notice)),
      buffer_(new char[kReadBytes]) {}

MetricsChannel::~MetricsChannel() {
  *alive_ = false;
  if (!closed_) ReleaseFifo();
}

void MetricsChannel::ReadMore() {
  pipe_.async_read_some(
      boost::asio::buffer(buffer_.get(), kReadBytes),
      [this, alive = alive_](const boost::system::error_code& ec, size_t n) {
        if (!*alive || closed_) return;
        if (n > 0) Consume(buffer_.get(), n);
        if (ec && ec != boost::asio::error::would_block && ec != boost::asio::error::try_again) {
          return;  // the descriptor is gone; Close() cleans up
        }
        ReadMore();
      });
}

void MetricsChannel::Consume(const char* data, size_t size) {
  size_t pos = 0;
  while (pos < size) {
    const char* nl = static_cast<const char*>(std::memchr(data + pos, '\n', size - pos));
    size_t end = nl ? static_cast<size_t>(nl - data) : size;
    std::string_view piece(data + pos, end - pos);
    if (!discarding_) partial_.append(piece);
    if (partial_.size() > protocol::kMaxMetricLineBytes && !discarding_) {
      Bad(partial_, "line longer than " + std::to_string(protocol::kMaxMetricLineBytes) + " bytes");
      partial_.clear();
      discarding_ = true;
    }
    if (!nl) break;
    if (!discarding_) HandleLine(partial_);
    partial_.clear();
    discarding_ = false;
    pos = end + 1;
  }
  if (!batch_.empty()) {
    on_points_(batch_);
    batch_.clear();
  }
}

void MetricsChannel::HandleLine(std::string_view line) {
  auto parsed = protocol::ParseMetricLine(line);
  if (!parsed.ok()) return Bad(line, parsed.status().message());
  if (!parsed->has_value()) return;
  auto& p = **parsed;
  int64_t& next = next_step_[p.name];
  protocol::MetricPoint point;
  point.step = p.step.value_or(next);
  next = point.step + 1;
  point.value = p.value;
  point.time_ms = NowMs();
  point.name = std::move(p.name);
  batch_.push_back(protocol::EncodeMetricPoint(point));
  ++points_;
}

void MetricsChannel::Bad(std::string_view line, const std::string& why) {
  if (++bad_lines_ == 1 && on_notice_) {
    on_notice_("jobctl: metrics: ignored bad line '" + Printable(line) + "': " + why +
               " (later bad lines are only counted)");
  }
}

void MetricsChannel::ReleaseFifo() {
  // The descriptor goes to the pool (or is closed) without Asio; release()
  // cancels the pending read.
  int fd = pipe_.release();
  if (fifos_) return fifos_->Release(path_, fd);
  DeleteFifo(path_, fd);
}

void MetricsChannel::Close() {
  if (closed_) return;
  // Whatever the rank wrote before it exited is in the pipe now.
  int fd = pipe_.native_handle();
  for (int i = 0; i < 1 << 16; ++i) {
    ssize_t n = ::read(fd, buffer_.get(), kReadBytes);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    Consume(buffer_.get(), static_cast<size_t>(n));
  }
  if (!partial_.empty() && !discarding_) {
    HandleLine(partial_);  // a last line without its newline
    partial_.clear();
    if (!batch_.empty()) {
      on_points_(batch_);
      batch_.clear();
    }
  }
  closed_ = true;
  ReleaseFifo();
  if (bad_lines_ > 0 && on_notice_) {
    on_notice_("jobctl: metrics: " + std::to_string(bad_lines_) + " bad line(s) ignored, " +
               std::to_string(points_) + " point(s) recorded");
  }
}

}  // namespace jobctl::agent
