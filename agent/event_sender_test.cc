// EventSender against a fake controller (a ZeroMQ ROUTER socket in the test),
// everything on the test's thread.
#include "agent/event_sender.h"

#include <gtest/gtest.h>

#include <boost/asio/post.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "agent/controller_link.h"
#include "common/protocol/event_messages.h"

namespace jobctl::agent {
namespace {

using namespace std::chrono_literals;

// One request the fake controller received.
struct Received {
  std::string type;
  std::vector<std::string> items;  // "started:0", "exited:1", "outputs:job-1"
};

class EventSenderTest : public ::testing::Test {
 protected:
  EventSenderTest() : router_(ctx_, zmq::socket_type::router) {
    router_.set(zmq::sockopt::linger, 0);
    router_.bind("tcp://127.0.0.1:*");
    link_ = std::make_unique<ControllerLink>(io_, ctx_, router_.get(zmq::sockopt::last_endpoint),
                                             "node-a", [](protocol::Envelope) {});
    EXPECT_TRUE(link_->Connect().ok());
    sender_ = std::make_unique<EventSender>(io_, link_.get(), "node-a", 5000ms, 20ms);
  }
  ~EventSenderTest() override {
    sender_.reset();
    link_.reset();
  }

  // Runs the agent's loop and serves requests until `done()` (at most 20 s).
  bool Pump(const std::function<bool()>& done) {
    auto end = std::chrono::steady_clock::now() + 20s;
    while (!done() && std::chrono::steady_clock::now() < end) {
      io_.restart();
      io_.poll();
      zmq::pollitem_t item{static_cast<void*>(router_), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, 1ms);
      if (item.revents & ZMQ_POLLIN) HandleOne();
    }
    return done();
  }

  // Runs the loop and serves for `turns` turns (about 1 ms each), whatever
  // happens.
  void PumpFor(int turns) {
    int n = 0;
    Pump([&] { return ++n > turns; });
  }

  // Reports a `started` event of `rank`, recording its callback's status.
  void ReportStarted(int rank) {
    protocol::RankEventRequest e;
    e.node_id = "node-a";
    e.job_id = "job-1";
    e.attempt = 1;
    e.rank = rank;
    e.event = "started";
    sender_->Report(std::move(e), [this, rank](const Status& s) { acked_.emplace_back(rank, s); });
  }

  // Sends the held replies, in order.
  void ReleaseHeld() {
    for (auto& [id, reply] : held_) {
      router_.send(zmq::buffer(id), zmq::send_flags::sndmore);
      router_.send(zmq::buffer(reply), zmq::send_flags::none);
    }
    held_.clear();
  }

  std::vector<std::string> AllItems() const {
    std::vector<std::string> out;
    for (const auto& r : received_) out.insert(out.end(), r.items.begin(), r.items.end());
    return out;
  }

  // The reply to a rank_events request; nullopt holds it (ReleaseHeld).
  std::function<std::optional<std::string>(const protocol::Envelope&)> answer_batch_ =
      [](const protocol::Envelope& env) {
        return protocol::Encode(protocol::RankEventsReply{}, env.request_id);
      };
  std::vector<Received> received_;
  std::vector<std::pair<std::string, std::string>> held_;  // routing id, reply
  std::vector<std::pair<int, Status>> acked_;              // rank, status, in callback order

  zmq::context_t ctx_;
  zmq::socket_t router_;
  boost::asio::io_context io_;
  std::unique_ptr<ControllerLink> link_;
  std::unique_ptr<EventSender> sender_;

 private:
  void HandleOne() {
    zmq::message_t id, body;
    if (!router_.recv(id, zmq::recv_flags::dontwait)) return;
    if (!router_.recv(body, zmq::recv_flags::dontwait)) return;
    auto env = protocol::DecodeEnvelope(body.to_string_view());
    ASSERT_TRUE(env.ok()) << env.status().ToString();
    Received r;
    r.type = env->type;
    std::optional<std::string> reply;
    if (env->type == protocol::RankEventsRequest::kType) {
      auto batch = *protocol::DecodeBody<protocol::RankEventsRequest>(*env);
      for (const auto& e : batch.events) r.items.push_back(e.event + ":" + std::to_string(e.rank));
      for (const auto& o : batch.empty_outputs) r.items.push_back("outputs:" + o.job_id);
      reply = answer_batch_(*env);
    } else if (env->type == protocol::RankEventRequest::kType) {
      auto e = *protocol::DecodeBody<protocol::RankEventRequest>(*env);
      r.items.push_back(e.event + ":" + std::to_string(e.rank));
      reply = protocol::Encode(protocol::OkReply{}, env->request_id);
    } else if (env->type == protocol::OutputsCommitRequest::kType) {
      auto c = *protocol::DecodeBody<protocol::OutputsCommitRequest>(*env);
      r.items.push_back("outputs:" + c.job_id);
      reply = protocol::Encode(protocol::OkReply{}, env->request_id);
    } else {
      FAIL() << "unexpected request " << env->type;
    }
    received_.push_back(std::move(r));
    if (!reply) {
      held_.emplace_back(id.to_string(), "");
      held_.back().second = protocol::Encode(protocol::RankEventsReply{}, env->request_id);
      return;
    }
    router_.send(id, zmq::send_flags::sndmore);
    router_.send(zmq::buffer(*reply), zmq::send_flags::none);
  }
};

TEST_F(EventSenderTest, WhatOneTurnReportsGoesOutInOneRequestInOrder) {
  boost::asio::post(io_, [this] {
    for (int rank = 0; rank < 5; ++rank) ReportStarted(rank);
    sender_->Report(protocol::EmptyOutputs{"job-1", 1, 0, 1},
                    [this](const Status& s) { acked_.emplace_back(-1, s); });
  });
  ASSERT_TRUE(Pump([this] { return acked_.size() == 6; }));
  ASSERT_EQ(received_.size(), 1u);
  EXPECT_EQ(received_[0].type, "rank_events");
  EXPECT_EQ(received_[0].items,
            (std::vector<std::string>{"started:0", "started:1", "started:2", "started:3",
                                      "started:4", "outputs:job-1"}));
  for (size_t i = 0; i < acked_.size(); ++i) {
    EXPECT_EQ(acked_[i].first, i < 5 ? static_cast<int>(i) : -1);
    EXPECT_TRUE(acked_[i].second.ok()) << acked_[i].second.ToString();
  }
  EXPECT_EQ(sender_->pending(), 0u);
}

TEST_F(EventSenderTest, AnEventDoesNotWaitForTheReplyToAnEarlierOne) {
  answer_batch_ = [](const protocol::Envelope&) { return std::nullopt; };  // hold every reply
  const int in_flight = static_cast<int>(EventSender::kMaxRequestsInFlight);
  // Each report goes out on its own while the earlier ones are unanswered.
  for (int rank = 0; rank < in_flight; ++rank) {
    boost::asio::post(io_, [this, rank] { ReportStarted(rank); });
    ASSERT_TRUE(Pump([&] { return received_.size() == static_cast<size_t>(rank) + 1; }))
        << "request " << rank << " waited for an earlier reply";
  }
  // With that many in flight, later reports wait, then leave together.
  boost::asio::post(io_, [this, in_flight] { ReportStarted(in_flight); });
  boost::asio::post(io_, [this, in_flight] { ReportStarted(in_flight + 1); });
  PumpFor(50);
  EXPECT_EQ(received_.size(), static_cast<size_t>(in_flight));
  EXPECT_TRUE(acked_.empty());
  answer_batch_ = [](const protocol::Envelope& env) {
    return protocol::Encode(protocol::RankEventsReply{}, env.request_id);
  };
  ReleaseHeld();
  ASSERT_TRUE(Pump([&] { return acked_.size() == static_cast<size_t>(in_flight) + 2; }));
  ASSERT_EQ(received_.size(), static_cast<size_t>(in_flight) + 1);
  EXPECT_EQ(received_.back().items,
            (std::vector<std::string>{"started:" + std::to_string(in_flight),
                                      "started:" + std::to_string(in_flight + 1)}));
  for (size_t i = 0; i < acked_.size(); ++i) {
    EXPECT_EQ(acked_[i].first, static_cast<int>(i));  // acknowledged in report order
    EXPECT_TRUE(acked_[i].second.ok());
  }
}

TEST_F(EventSenderTest, ARetryableFailureResendsTheItemsAfterTheDelay) {
  int failures = 1;
  answer_batch_ = [&failures](const protocol::Envelope& env) -> std::optional<std::string> {
    if (failures-- > 0) {
      return protocol::EncodeError(UnavailableError("state not stored: disk full"), env.request_id);
    }
    return protocol::Encode(protocol::RankEventsReply{}, env.request_id);
  };
  boost::asio::post(io_, [this] {
    ReportStarted(0);
    ReportStarted(1);
  });
  ASSERT_TRUE(Pump([this] { return acked_.size() == 2; }));
  ASSERT_EQ(received_.size(), 2u);
  EXPECT_EQ(received_[0].items, received_[1].items);  // the same items, sent again
  EXPECT_EQ(received_[1].items, (std::vector<std::string>{"started:0", "started:1"}));
  EXPECT_TRUE(acked_[0].second.ok());
  EXPECT_TRUE(acked_[1].second.ok());
  EXPECT_EQ(sender_->pending(), 0u);
}

TEST_F(EventSenderTest, AnItemRefusedForGoodGetsItsRefusalAndTheOthersTheirAck) {
  answer_batch_ = [](const protocol::Envelope& env) -> std::optional<std::string> {
    protocol::RankEventsReply reply;
    reply.refused.push_back({"events[1]", "NOT_FOUND", "job job-1 does not exist"});
    return protocol::Encode(reply, env.request_id);
  };
  boost::asio::post(io_, [this] {
    for (int rank = 0; rank < 3; ++rank) ReportStarted(rank);
  });
  ASSERT_TRUE(Pump([this] { return acked_.size() == 3; }));
  EXPECT_EQ(received_.size(), 1u);
  EXPECT_TRUE(acked_[0].second.ok());
  EXPECT_EQ(acked_[1].second.code(), StatusCode::kNotFound);
  EXPECT_TRUE(acked_[2].second.ok());
}

TEST_F(EventSenderTest, AnOlderControllerGetsEveryItemOfEveryRequestInFlightOnItsOwn) {
  // Three requests in flight before the first "unknown message type" comes.
  answer_batch_ = [](const protocol::Envelope&) { return std::nullopt; };
  for (int rank = 0; rank < 3; ++rank) {
    boost::asio::post(io_, [this, rank] { ReportStarted(rank); });
    ASSERT_TRUE(Pump([&] { return received_.size() == static_cast<size_t>(rank) + 1; }));
  }
  answer_batch_ = [](const protocol::Envelope& env) -> std::optional<std::string> {
    return protocol::EncodeError(InvalidArgumentError("unknown message type 'rank_events'"),
                                 env.request_id);
  };
  for (auto& [id, reply] : held_) {
    protocol::Envelope env = *protocol::DecodeEnvelope(reply);
    reply = *answer_batch_(env);
  }
  ReleaseHeld();
  ASSERT_TRUE(Pump([this] { return acked_.size() == 3; }));
  std::vector<std::string> singles;
  for (const auto& r : received_) {
    if (r.type == "rank_event") singles.insert(singles.end(), r.items.begin(), r.items.end());
  }
  EXPECT_EQ(singles, (std::vector<std::string>{"started:0", "started:1", "started:2"}));
  for (const auto& [rank, s] : acked_) EXPECT_TRUE(s.ok()) << rank << ": " << s.ToString();
  // Later reports go on their own too.
  boost::asio::post(io_, [this] { ReportStarted(3); });
  ASSERT_TRUE(Pump([this] { return acked_.size() == 4; }));
  EXPECT_EQ(received_.back().type, "rank_event");
}

}  // namespace
}  // namespace jobctl::agent
