// EventSender: delivers a node's rank events and empty output manifests to
// the controller, each retried until the controller acknowledges it.
//
// What is reported in one turn of the event loop goes out together: one
// rank_events message (common/protocol/event_messages.h) of at most
// kMaxRankEventsItems items, in report order, sent once the turn's handlers
// have run (so a rank's `exited` event and its attempt's empty manifest share
// one request). Up to kMaxRequestsInFlight requests are in flight at once:
// an event never waits for the reply to an earlier one (a rank that exits
// right after it started is not held back by the `started` report's round
// trip). What is reported while that many are in flight goes out together
// when one of them is answered. Requests travel in order over the one
// connection and the controller applies them in that order.
//
// A retryable failure (the controller is down, restarting, or could not
// store the batch) resends the request's items, with what was reported
// meanwhile, after `retry_delay`; nothing new is sent before that. Requests
// already in flight then may have been stored before the resent items: the
// controller applies every item idempotently and in any order (a `started`
// after its rank's `exited` is ignored). An item the controller refuses for
// good (an unknown job) is logged and counts as delivered: its callback gets
// the refusal.
//
// A controller that does not know rank_events (an older version answers
// "unknown message type") is sent every item on its own, as rank_event and
// outputs_commit, one request at a time, from then on.
//
// Thread-safety: belongs to the thread running the io_context.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
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

  // Requests one sender keeps in flight at most.
  static constexpr size_t kMaxRequestsInFlight = 4;

  // Items reported and not yet acknowledged.
  size_t pending() const { return queue_.size(); }
  // Requests sent so far (rank_events, or single items to an old controller).
  uint64_t requests_sent() const { return requests_sent_; }

 private:
  struct Item {
    std::optional<protocol::RankEventRequest> event;  // else `outputs`
    protocol::EmptyOutputs outputs;
    Done done;
    uint64_t request = 0;  // the request carrying it; 0 while not sent
  };

  void Enqueue(Item item);
  void SendNext();
  void SendBatch();
  void SendOne();
  // Handles the reply to request `request`, which carried `count` items
  // (one rank_events when `batch`, else a single rank_event or
  // outputs_commit).
  void OnReply(uint64_t request, size_t count, bool batch, Result<protocol::Envelope> reply);
  // The items of `request`, in queue order.
  std::vector<std::deque<Item>::iterator> ItemsOf(uint64_t request);
  // Marks the items of `request` as not sent, to go out again.
  void Unsend(uint64_t request);
  void RetryLater();
  // Removes the items of `request` and runs their callbacks with `status`,
  // or with (*per_item)[i] when given.
  void Deliver(uint64_t request, const Status& status, const std::vector<Status>* per_item);

  boost::asio::io_context& io_;
  ControllerLink* link_;
  std::string node_id_;
  std::chrono::milliseconds request_timeout_;
  std::chrono::milliseconds retry_delay_;
  boost::asio::steady_timer retry_timer_;
  std::deque<Item> queue_;
  size_t in_flight_ = 0;        // requests awaiting their reply
  bool send_posted_ = false;    // a SendNext is posted for the end of this turn
  bool retry_pending_ = false;  // a failed request waits for `retry_delay`
  bool single_items_ = false;   // the controller does not know rank_events
  uint64_t requests_sent_ = 0;
  uint64_t last_request_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace jobctl::agent
