// MetricsChannel: the named pipe (FIFO) a rank writes metric lines to; its
// path is the rank's JOBCTL_METRICS (docs/tracking.md).
//
// The agent creates the FIFO (mode 0666 in the attempt's work dir; recycled
// through a FifoPool when given one) and holds
// it open for reading and writing, so a writer's open() never blocks and the
// agent never sees end-of-file while the rank runs. Writes of at most
// PIPE_BUF (4096) bytes are atomic, so lines from several processes of a
// rank never interleave. Each line is parsed (metric_records.h
// ParseMetricLine) and handed on as an encoded point, stamped with the wall
// clock; a line without a step gets the step after the last one of its name.
// A bad line is counted and dropped; the first one is described through
// `on_bad_line` (the rank's log), never more: Close() reports the total.
//
// Thread-safety: belongs to the thread running its io_context.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/fifo_pool.h"
#include "common/status.h"

namespace jobctl::agent {

class MetricsChannel {
 public:
  // Encoded points (metric_records.h EncodeMetricPoint), in arrival order.
  using PointsFn = std::function<void(const std::vector<std::string>& records)>;
  // One line of text for the rank's log.
  using NoticeFn = std::function<void(const std::string& line)>;

  // Creates the FIFO at `path` (replacing what is there; from `fifos` when
  // given, which must outlive the channel) and starts reading.
  static Result<std::unique_ptr<MetricsChannel>> Open(boost::asio::io_context& io, std::string path,
                                                      PointsFn on_points, NoticeFn on_notice,
                                                      FifoPool* fifos = nullptr);
  ~MetricsChannel();
  MetricsChannel(const MetricsChannel&) = delete;
  MetricsChannel& operator=(const MetricsChannel&) = delete;

  // Reads what is still in the pipe (the rank has exited), stops reading,
  // removes the FIFO from its path (back to the pool, or deleted) and, when
  // lines were bad, notes how many.
  void Close();

  const std::string& path() const { return path_; }
  uint64_t points() const { return points_; }
  uint64_t bad_lines() const { return bad_lines_; }

 private:
  MetricsChannel(boost::asio::io_context& io, std::string path, int fd, PointsFn on_points,
                 NoticeFn on_notice, FifoPool* fifos);
  void ReleaseFifo();
  void ReadMore();
  // Splits `data` into lines (keeping a partial last line) and parses them.
  void Consume(const char* data, size_t size);
  void HandleLine(std::string_view line);
  void Bad(std::string_view line, const std::string& why);

  std::string path_;
  FifoPool* fifos_;  // may be null
  boost::asio::posix::stream_descriptor pipe_;
  PointsFn on_points_;
  NoticeFn on_notice_;
  std::string partial_;
  bool discarding_ = false;  // inside an over-long line: drop up to its newline
  static constexpr size_t kReadBytes = 64 * 1024;
  // Not zero-filled: most ranks write no metric, and then touch none of it.
  std::unique_ptr<char[]> buffer_;
  std::vector<std::string> batch_;
  std::map<std::string, int64_t> next_step_;
  uint64_t points_ = 0;
  uint64_t bad_lines_ = 0;
  bool closed_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace jobctl::agent
