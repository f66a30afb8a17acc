// FakeController: an in-process controller for cli tests. A ZeroMQ ROUTER on
// 127.0.0.1 (a free port) served by one thread; it answers ping, get_job and
// read_logs from a fixed job log, and can be told to ignore requests, as a
// dead controller would.
//
// Thread-safety: the setters may be called while the thread serves.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <zmq.hpp>

#include "common/protocol/codec.h"
#include "common/protocol/log_records.h"
#include "common/protocol/messages.h"

namespace jobctl::cli {

struct FakeRecord {
  uint32_t attempt;
  uint32_t rank;
  std::string line;
};

class FakeController {
 public:
  FakeController() : socket_(context_, zmq::socket_type::router) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.bind("tcp://127.0.0.1:*");
    endpoint_ = socket_.get(zmq::sockopt::last_endpoint);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeController() {
    stop_ = true;
    thread_.join();
  }

  const std::string& endpoint() const { return endpoint_; }

  void SetLog(std::vector<FakeRecord> records, std::string state, size_t batch) {
    std::lock_guard lock(mu_);
    records_ = std::move(records);
    state_ = std::move(state);
    batch_ = batch;
  }
  // Requests number first..last (1-based, counted over all requests) get no reply.
  void IgnoreRequests(int first, int last) {
    ignore_first_ = first;
    ignore_last_ = last;
  }
  int requests() const { return requests_; }
  // The from_index of every read_logs request answered.
  std::vector<uint64_t> answered_from() {
    std::lock_guard lock(mu_);
    return answered_from_;
  }

 private:
  void Serve() {
    while (!stop_) {
      zmq::pollitem_t item{static_cast<void*>(socket_), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, std::chrono::milliseconds(20));
      if (!(item.revents & ZMQ_POLLIN)) continue;
      zmq::message_t identity;
      zmq::message_t body;
      if (!socket_.recv(identity) || !socket_.recv(body)) continue;
      int n = ++requests_;
      if (n >= ignore_first_ && n <= ignore_last_) continue;
      auto env = protocol::DecodeEnvelope(body.to_string_view());
      if (!env.ok()) continue;
      std::string reply = Answer(*env);
      socket_.send(identity, zmq::send_flags::sndmore);
      socket_.send(zmq::buffer(reply), zmq::send_flags::none);
    }
  }

  std::string Answer(const protocol::Envelope& env) {
    std::lock_guard lock(mu_);
    if (env.type == protocol::PingRequest::kType) return protocol::Encode(protocol::PingReply{"fake", 1, 0}, env.request_id);
    if (env.type == protocol::ReadLogsRequest::kType) {
      auto req = protocol::DecodeBody<protocol::ReadLogsRequest>(env);
      if (req->job_id != "7") return protocol::EncodeError(NotFoundError("job " + req->job_id + " does not exist"), env.request_id);
      answered_from_.push_back(req->from_index);
      protocol::ReadLogsReply reply;
      uint64_t i = req->from_index;
      for (; i < records_.size() && i < req->from_index + batch_; ++i) {
        protocol::AppendRecord(reply.records.data, records_[i].attempt, records_[i].rank, i, records_[i].line);
      }
      reply.next_index = i;
      reply.state = state_;
      reply.complete = (state_ == "SUCCEEDED" || state_ == "FAILED") && i == records_.size();
      return protocol::Encode(reply, env.request_id);
    }
    return protocol::EncodeError(InvalidArgumentError("unsupported " + env.type), env.request_id);
  }

  zmq::context_t context_;
  zmq::socket_t socket_;
  std::string endpoint_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::atomic<int> ignore_first_{0};
  std::atomic<int> ignore_last_{-1};
  std::mutex mu_;
  std::vector<FakeRecord> records_;
  std::string state_ = "RUNNING";
  size_t batch_ = 1000;
  std::vector<uint64_t> answered_from_;
};

}  // namespace jobctl::cli
