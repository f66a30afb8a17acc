#include "agent/event_sender.h"

#include <spdlog/spdlog.h>

#include <algorithm>
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
  queue_.push_back(Item{std::move(event), {}, std::move(done)});
  SendNext();
}

void EventSender::Report(protocol::EmptyOutputs outputs, Done done) {
  queue_.push_back(Item{std::nullopt, std::move(outputs), std::move(done)});
  SendNext();
}

void EventSender::SendNext() {
  if (in_flight_ || queue_.empty()) return;
  in_flight_ = true;
  ++requests_sent_;
  if (single_items_) return SendOne();
  SendBatch();
}

void EventSender::SendBatch() {
  size_t count = std::min(queue_.size(), protocol::kMaxRankEventsItems);
  protocol::RankEventsRequest req;
  req.node_id = node_id_;
  for (size_t i = 0; i < count; ++i) {
    const Item& item = queue_[i];
    if (item.event) {
      req.events.push_back(*item.event);
      req.events.back().node_id.clear();  // the batch's
    } else {
      req.empty_outputs.push_back(item.outputs);
    }
  }
  link_->Call(req, request_timeout_,
              [this, alive = alive_, count](Result<protocol::Envelope> reply) {
                if (*alive) OnReply(count, std::move(reply));
              });
}

void EventSender::SendOne() {
  const Item& item = queue_.front();
  auto on_reply = [this, alive = alive_](Result<protocol::Envelope> reply) {
    if (*alive) OnReply(1, std::move(reply));
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

void EventSender::OnReply(size_t count, Result<protocol::Envelope> reply) {
  in_flight_ = false;
  if (!reply.ok()) {
    const Status& s = reply.status();
    if (Retryable(s)) return RetryLater();
    if (!single_items_ && UnknownType(s)) {
      spdlog::info("controller {} does not take rank_events: sending events one at a time",
                   link_->endpoint());
      single_items_ = true;
      return SendNext();
    }
    spdlog::warn("controller refused {} rank event(s) and output report(s): {}", count,
                 s.ToString());
    return Deliver(count, s, nullptr);
  }
  std::vector<Status> per_item(count);
  if (!single_items_) {
    auto r = protocol::DecodeBody<protocol::RankEventsReply>(*reply);
    if (!r.ok()) {
      spdlog::warn("rank_events reply: {}", r.status().ToString());
      return RetryLater();
    }
    // Queue positions of the request's events and empty manifests, in order.
    std::vector<size_t> events, outputs;
    for (size_t i = 0; i < count; ++i) (queue_[i].event ? events : outputs).push_back(i);
    for (const auto& refused : r->refused) {
      auto parsed = ParseItem(refused.item);
      const auto& positions = parsed && parsed->first ? events : outputs;
      if (!parsed || parsed->second >= positions.size()) continue;
      size_t at = positions[parsed->second];
      Status why = protocol::StatusFromErrorReply(protocol::Envelope{
          protocol::kProtocolVersion, std::string(protocol::ErrorReply::kType), 0,
          nlohmann::json(protocol::ErrorReply{refused.code, refused.message})});
      per_item[at] = why;
      const Item& item = queue_[at];
      if (item.event) {
        spdlog::warn("controller refused rank event {} of job {} rank {}: {}", item.event->event,
                     item.event->job_id, item.event->rank, why.ToString());
      } else {
        spdlog::warn("controller refused the empty outputs of job {} attempt {}: {}",
                     item.outputs.job_id, item.outputs.attempt, why.ToString());
      }
    }
  }
  Deliver(count, Status::Ok(), &per_item);
}

void EventSender::Deliver(size_t count, const Status& status, const std::vector<Status>* per_item) {
  std::vector<std::pair<Done, Status>> done;
  for (size_t i = 0; i < count && !queue_.empty(); ++i) {
    Status s = per_item != nullptr ? (*per_item)[i] : status;
    done.emplace_back(std::move(queue_.front().done), std::move(s));
    queue_.pop_front();
  }
  SendNext();
  auto alive = alive_;
  for (auto& [fn, s] : done) {
    if (!*alive) return;
    if (fn) fn(s);
  }
}

void EventSender::RetryLater() {
  retry_timer_.expires_after(retry_delay_);
  retry_timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (!ec && *alive) SendNext();
  });
}

}  // namespace jobctl::agent
