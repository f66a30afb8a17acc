#include "agent/event_sender.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <string_view>
#include <utility>
#include <vector>

#include "common/protocol/limits.h"

namespace jobctl::agent {
namespace {

// Errors worth retrying: the controller may come back or catch up.
bool Retryable(const Status& s) {
  return s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kDeadlineExceeded ||
         s.code() == StatusCode::kResourceExhausted || s.code() == StatusCode::kInternal;
}

// An older controller's answer to a message type it does not have.
bool UnknownType(const Status& s) {
  return s.code() == StatusCode::kInvalidArgument &&
         s.message().find("unknown message type") != std::string::npos;
}

// "events[3]" -> {true, 3}; "empty_outputs[0]" -> {false, 0}.
std::optional<std::pair<bool, size_t>> ParseItem(std::string_view item) {
  bool event = item.starts_with("events[");
  if (!event && !item.starts_with("empty_outputs[")) return std::nullopt;
  size_t open = item.find('[');
  if (item.size() < open + 3 || item.back() != ']') return std::nullopt;
  size_t index = 0;
  for (size_t i = open + 1; i + 1 < item.size(); ++i) {
    if (item[i] < '0' || item[i] > '9') return std::nullopt;
    index = index * 10 + static_cast<size_t>(item[i] - '0');
  }
  return std::make_pair(event, index);
}

}  // namespace

EventSender::EventSender(boost::asio::io_context& io, ControllerLink* link, std::string node_id,
                         std::chrono::milliseconds request_timeout,
                         std::chrono::milliseconds retry_delay)
    : io_(io),
      link_(link),
      node_id_(std::move(node_id)),
      request_timeout_(request_timeout),
      retry_delay_(retry_delay),
      retry_timer_(io) {}

EventSender::~EventSender() { *alive_ = false; }

void EventSender::Report(protocol::RankEventRequest event, Done done) {
  Enqueue(Item{std::move(event), {}, std::move(done)});
}

void EventSender::Report(protocol::EmptyOutputs outputs, Done done) {
  Enqueue(Item{std::nullopt, std::move(outputs), std::move(done)});
}

void EventSender::Enqueue(Item item) {
  queue_.push_back(std::move(item));
  // Sent once this turn's handlers ran: what they report travels together.
  if (send_posted_) return;
  send_posted_ = true;
  boost::asio::post(io_, [this, alive = alive_] {
    if (!*alive) return;
    send_posted_ = false;
    SendNext();
  });
}

void EventSender::SendNext() {
  if (retry_pending_) return;
  while (single_items_ ? in_flight_ == 0 : in_flight_ < kMaxRequestsInFlight) {
    bool unsent = std::any_of(queue_.begin(), queue_.end(),
                              [](const Item& item) { return item.request == 0; });
    if (!unsent) return;
    ++in_flight_;
    ++requests_sent_;
    ++last_request_;
    if (single_items_) {
      SendOne();
    } else {
      SendBatch();
    }
  }
}

void EventSender::SendBatch() {
  uint64_t request = last_request_;
  protocol::RankEventsRequest req;
  req.node_id = node_id_;
  size_t count = 0;
  for (Item& item : queue_) {
    if (count == protocol::kMaxRankEventsItems) break;
    if (item.request != 0) continue;
    item.request = request;
    ++count;
    if (item.event) {
      req.events.push_back(*item.event);
      req.events.back().node_id.clear();  // the batch's
    } else {
      req.empty_outputs.push_back(item.outputs);
    }
  }
  link_->Call(req, request_timeout_,
              [this, alive = alive_, request, count](Result<protocol::Envelope> reply) {
                if (*alive) OnReply(request, count, true, std::move(reply));
              });
}

void EventSender::SendOne() {
  uint64_t request = last_request_;
  auto it = std::find_if(queue_.begin(), queue_.end(),
                         [](const Item& item) { return item.request == 0; });
  it->request = request;
  const Item& item = *it;
  auto on_reply = [this, alive = alive_, request](Result<protocol::Envelope> reply) {
    if (*alive) OnReply(request, 1, false, std::move(reply));
  };
  if (item.event) return link_->Call(*item.event, request_timeout_, std::move(on_reply));
  protocol::OutputsCommitRequest commit;
  commit.node_id = node_id_;
  commit.job_id = item.outputs.job_id;
  commit.attempt = item.outputs.attempt;
  commit.node_rank = item.outputs.node_rank;
  commit.num_nodes = item.outputs.num_nodes;
  link_->Call(commit, request_timeout_, std::move(on_reply));
}

std::vector<std::deque<EventSender::Item>::iterator> EventSender::ItemsOf(uint64_t request) {
  std::vector<std::deque<Item>::iterator> out;
  for (auto it = queue_.begin(); it != queue_.end(); ++it) {
    if (it->request == request) out.push_back(it);
  }
  return out;
}

void EventSender::Unsend(uint64_t request) {
  for (Item& item : queue_) {
    if (item.request == request) item.request = 0;
  }
}

void EventSender::OnReply(uint64_t request, size_t count, bool batch,
                          Result<protocol::Envelope> reply) {
  --in_flight_;
  if (!reply.ok()) {
    const Status& s = reply.status();
    if (Retryable(s)) {
      Unsend(request);
      return RetryLater();
    }
    if (batch && UnknownType(s)) {
      if (!single_items_) {
        spdlog::info("controller {} does not take rank_events: sending events one at a time",
                     link_->endpoint());
      }
      single_items_ = true;
      Unsend(request);
      return SendNext();
    }
    spdlog::warn("controller refused {} rank event(s) and output report(s): {}", count,
                 s.ToString());
    return Deliver(request, s, nullptr);
  }
  auto items = ItemsOf(request);
  std::vector<Status> per_item(items.size());
  if (batch) {
    auto r = protocol::DecodeBody<protocol::RankEventsReply>(*reply);
    if (!r.ok()) {
      spdlog::warn("rank_events reply: {}", r.status().ToString());
      Unsend(request);
      return RetryLater();
    }
    // Positions (in `items`) of the request's events and empty manifests.
    std::vector<size_t> events, outputs;
    for (size_t i = 0; i < items.size(); ++i) (items[i]->event ? events : outputs).push_back(i);
    for (const auto& refused : r->refused) {
      auto parsed = ParseItem(refused.item);
      const auto& positions = parsed && parsed->first ? events : outputs;
      if (!parsed || parsed->second >= positions.size()) continue;
      size_t at = positions[parsed->second];
      Status why = protocol::StatusFromErrorReply(protocol::Envelope{
          protocol::kProtocolVersion, std::string(protocol::ErrorReply::kType), 0,
          nlohmann::json(protocol::ErrorReply{refused.code, refused.message})});
      per_item[at] = why;
      const Item& item = *items[at];
      if (item.event) {
        spdlog::warn("controller refused rank event {} of job {} rank {}: {}", item.event->event,
                     item.event->job_id, item.event->rank, why.ToString());
      } else {
        spdlog::warn("controller refused the empty outputs of job {} attempt {}: {}",
                     item.outputs.job_id, item.outputs.attempt, why.ToString());
      }
    }
  }
  Deliver(request, Status::Ok(), &per_item);
}

void EventSender::Deliver(uint64_t request, const Status& status,
                          const std::vector<Status>* per_item) {
  std::vector<std::pair<Done, Status>> done;
  size_t i = 0;
  for (auto it = queue_.begin(); it != queue_.end();) {
    if (it->request != request) {
      ++it;
      continue;
    }
    Status s = per_item != nullptr && i < per_item->size() ? (*per_item)[i] : status;
    ++i;
    done.emplace_back(std::move(it->done), std::move(s));
    it = queue_.erase(it);
  }
  SendNext();
  auto alive = alive_;
  for (auto& [fn, s] : done) {
    if (!*alive) return;
    if (fn) fn(s);
  }
}

void EventSender::RetryLater() {
  if (retry_pending_) return;
  retry_pending_ = true;
  retry_timer_.expires_after(retry_delay_);
  retry_timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (ec || !*alive) return;
    retry_pending_ = false;
    SendNext();
  });
}

}  // namespace jobctl::agent
