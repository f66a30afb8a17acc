// LogShipper: sends one rank's spooled lines to the controller and advances
// the spool as the controller acknowledges them.
//
// Up to `max_in_flight` batches (each up to `max_batch_bytes`) are
// outstanding at once, so the log path never waits a round trip per line;
// a batch goes out as soon as there is room, so a lone line is not delayed
// while the pipe is quiet and batches grow by themselves under load. A reply
// next_seq acknowledges every line below it (replies may come in any order
// or twice: acknowledgement only moves forward). A failed or timed-out batch,
// or a reply saying the controller is missing lines before the batch (it
// restarted), rewinds sending to the first unacknowledged line: resending is
// always safe because the controller drops lines it already stored.
//
// Thread-safety: belongs to the thread running its io_context.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "agent/log_spool.h"
#include "common/status.h"

namespace jobctl::agent {

struct LogShipperOptions {
  size_t max_batch_bytes = 1u << 20;
  int max_in_flight = 4;
  std::chrono::milliseconds retry_delay{200};
};

class LogShipper {
 public:
  // Sends lines [first_seq, ...) packed in `lines`; `on_reply` gets the
  // controller's next_seq or an error, exactly once.
  using SendFn = std::function<void(uint64_t first_seq, std::string lines,
                                    std::function<void(Result<uint64_t>)> on_reply)>;

  // `spool` must outlive the shipper.
  LogShipper(boost::asio::io_context& io, LogSpool* spool, SendFn send,
             LogShipperOptions options = {});
  ~LogShipper();
  LogShipper(const LogShipper&) = delete;
  LogShipper& operator=(const LogShipper&) = delete;

  // Sends what the spool holds, as far as the window allows. Call after
  // appending lines.
  void Pump();
  // Sends again from the first unacknowledged line (e.g. after the
  // controller came back).
  void Rewind();
  // No more lines will be appended: `on_drained` is called once every line
  // is acknowledged.
  void Close(std::function<void()> on_drained);

  bool drained() const { return spool_->acked_seq() == spool_->next_seq(); }
  const Status& last_error() const { return last_error_; }

 private:
  void OnReply(uint64_t generation, uint64_t first_seq, Result<uint64_t> reply);
  void CheckDrained();

  boost::asio::io_context& io_;
  LogSpool* spool_;
  SendFn send_;
  LogShipperOptions options_;
  boost::asio::steady_timer retry_timer_;
  uint64_t sent_seq_ = 0;    // next line to send
  uint64_t generation_ = 0;  // bumped by a rewind; older replies only acknowledge
  int in_flight_ = 0;
  bool retry_pending_ = false;
  bool closed_ = false;
  std::function<void()> on_drained_;
  Status last_error_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace jobctl::agent
