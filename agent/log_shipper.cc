#include "agent/log_shipper.h"

#include <boost/asio/post.hpp>

namespace jobctl::agent {

LogShipper::LogShipper(boost::asio::io_context& io, LogSpool* spool, SendFn send,
                       LogShipperOptions options)
    : io_(io),
      spool_(spool),
      send_(std::move(send)),
      options_(options),
      retry_timer_(io),
      sent_seq_(spool->acked_seq()) {}

LogShipper::~LogShipper() { *alive_ = false; }

void LogShipper::Pump() {
  if (retry_pending_) return;
  // Flush once per pump: one write() for everything appended since.
  Status flushed = spool_->Flush();
  if (!flushed.ok()) last_error_ = flushed;
  while (in_flight_ < options_.max_in_flight && sent_seq_ < spool_->next_seq()) {
    std::string packed;
    auto count = spool_->Read(sent_seq_, options_.max_batch_bytes, &packed);
    if (!count.ok() || *count == 0) {
      last_error_ = count.ok() ? InternalError("empty spool read") : count.status();
      break;
    }
    uint64_t first = sent_seq_;
    sent_seq_ += *count;
    ++in_flight_;
    send_(first, std::move(packed),
          [this, alive = alive_, gen = generation_, first](Result<uint64_t> reply) {
            if (*alive) OnReply(gen, first, std::move(reply));
          });
  }
  CheckDrained();
}

void LogShipper::OnReply(uint64_t generation, uint64_t first_seq, Result<uint64_t> reply) {
  bool current = generation == generation_;
  if (current) --in_flight_;
  if (reply.ok()) {
    Status s = spool_->Ack(*reply);
    if (!s.ok()) last_error_ = s;
    if (sent_seq_ < spool_->acked_seq()) sent_seq_ = spool_->acked_seq();
    if (current && *reply < first_seq) {
      // The controller lacks lines before this batch: start over from its
      // position (never below what it acknowledged before).
      Rewind();
      return;
    }
  } else if (current) {
    last_error_ = reply.status();
    // Start over after a pause; replies of this generation are now stale.
    ++generation_;
    in_flight_ = 0;
    sent_seq_ = spool_->acked_seq();
    retry_pending_ = true;
    retry_timer_.expires_after(options_.retry_delay);
    retry_timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
      if (ec || !*alive) return;
      retry_pending_ = false;
      Pump();
    });
    return;
  }
  Pump();
}

void LogShipper::Rewind() {
  ++generation_;
  in_flight_ = 0;
  sent_seq_ = spool_->acked_seq();
  retry_pending_ = false;
  retry_timer_.cancel();
  Pump();
}

void LogShipper::Close(std::function<void()> on_drained) {
  closed_ = true;
  on_drained_ = std::move(on_drained);
  Pump();
}

void LogShipper::CheckDrained() {
  if (!closed_ || !on_drained_ || !drained()) return;
  auto cb = std::move(on_drained_);
  on_drained_ = nullptr;
  // Posted: the callback may destroy this shipper.
  boost::asio::post(io_, [cb = std::move(cb)] { cb(); });
}

}  // namespace jobctl::agent
