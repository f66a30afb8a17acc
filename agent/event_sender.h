// EventSender: delivers a node's rank events and empty output manifests to
// the controller, in the order they were reported, each retried until the
// controller acknowledges it.
//
// One request is in flight at a time. Whatever is reported while it is in
// flight goes out together in the next request: one rank_events message
// (common/protocol/event_messages.h) of at most kMaxRankEventsItems items,
// so a busy node sends one message per round trip instead of one per event.
// A retryable failure (the controller is down, restarting, or could not
// store the batch) resends the same items, and what was reported meanwhile,
// after `retry_delay`; the controller drops duplicates. An item the
// controller refuses for good (an unknown job) is logged and counts as
// delivered: its callback gets the refusal.
//
// A controller that does not know rank_events (an older version answers
// "unknown message type") is sent every item on its own, as rank_event and
// outputs_commit, from then on.
//
// Thread-safety: belongs to the thread running the io_context.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/controller_link.h"
#include "common/protocol/event_messages.h"
#include "common/status.h"

namespace jobctl::agent {

class EventSender {
 public:
  using Done = std::function<void(const Status&)>;

  // `link` must outlive the sender.
  EventSender(boost::asio::io_context& io, ControllerLink* link, std::string node_id,
              std::chrono::milliseconds request_timeout, std::chrono::milliseconds retry_delay);
  ~EventSender();
  EventSender(const EventSender&) = delete;
  EventSender& operator=(const EventSender&) = delete;

  // `done` runs once the controller stored the item (OK) or refused it for
  // good (the refusal), never from inside the call.
  void Report(protocol::RankEventRequest event, Done done);
  void Report(protocol::EmptyOutputs outputs, Done done);

  // Items reported and not yet acknowledged.
  size_t pending() const { return queue_.size(); }
  // Requests sent so far (rank_events, or single items to an old controller).
  uint64_t requests_sent() const { return requests_sent_; }

 private:
  struct Item {
    std::optional<protocol::RankEventRequest> event;  // else `outputs`
    protocol::EmptyOutputs outputs;
    Done done;
  };

  void SendNext();
  void SendBatch();
  void SendOne();
  // Handles the reply to the first `count` items of the queue.
  void OnReply(size_t count, Result<protocol::Envelope> reply);
  void RetryLater();
  // Pops the first `count` items and runs their callbacks with `status`, or
  // with (*per_item)[i] when given.
  void Deliver(size_t count, const Status& status, const std::vector<Status>* per_item);

  boost::asio::io_context& io_;
  ControllerLink* link_;
  std::string node_id_;
  std::chrono::milliseconds request_timeout_;
  std::chrono::milliseconds retry_delay_;
  boost::asio::steady_timer retry_timer_;
  std::deque<Item> queue_;
  bool in_flight_ = false;
  bool single_items_ = false;  // the controller does not know rank_events
  uint64_t requests_sent_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace jobctl::agent
