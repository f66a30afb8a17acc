#include "agent/agent.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "agent/paths.h"
#include "common/protocol/log_records.h"

namespace jobctl::agent {
namespace {

// Errors worth retrying: the controller may come back or catch up.
bool Retryable(const Status& s) {
  return s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kDeadlineExceeded ||
         s.code() == StatusCode::kResourceExhausted || s.code() == StatusCode::kInternal;
}

constexpr auto kShutdownSlack = std::chrono::milliseconds(3000);

}  // namespace

Agent::Agent(boost::asio::io_context& io, zmq::context_t& zmq_context, Runtime* runtime,
             AgentOptions options)
    : io_(io),
      runtime_(runtime),
      options_(std::move(options)),
      link_(
          io, zmq_context, options_.controller, options_.node.id,
          [this](protocol::Envelope e) { HandlePush(std::move(e)); }, options_.credentials),
      fifos_(paths::FifoPoolDir(options_.work_dir)),
      dirs_(paths::AttemptDirPoolDir(options_.work_dir)),
      removed_dirs_(paths::JobsDir(options_.work_dir)),
      heartbeat_timer_(io),
      shutdown_timer_(io),
      events_(io, &link_, options_.node.id, options_.request_timeout, options_.retry_delay) {
  push_handlers_[std::string(protocol::StartAttemptCommand::kType)] = &Agent::HandleStartAttempt;
  push_handlers_[std::string(protocol::StopAttemptCommand::kType)] = &Agent::HandleStopAttempt;
}

Agent::~Agent() {
  *alive_ = false;
  runners_.clear();
  uploads_.clear();
  link_.Close();
}

Status Agent::Start() {
  JOBCTL_RETURN_IF_ERROR(link_.Connect());
  Register();
  ScheduleHeartbeat();
  return Status::Ok();
}

std::vector<protocol::RunningRank> Agent::Running() const {
  std::vector<protocol::RunningRank> out;
  for (const auto& [key, runner] : runners_) {
    auto r = runner->Running();
    out.insert(out.end(), r.begin(), r.end());
  }
  return out;
}

void Agent::Register() {
  if (register_in_flight_) return;
  register_in_flight_ = true;
  protocol::RegisterNodeRequest req;
  req.node = options_.node;
  req.running = Running();
  link_.Call(req, options_.request_timeout,
             [this, alive = alive_](Result<protocol::Envelope> reply) {
               if (!*alive) return;
               register_in_flight_ = false;
               if (!reply.ok()) {
                 spdlog::warn("register with controller {}: {}", options_.controller,
                              reply.status().ToString());
                 return;  // the next heartbeat tick tries again
               }
               auto r = protocol::DecodeBody<protocol::RegisterNodeReply>(*reply);
               if (!r.ok()) {
                 spdlog::warn("register reply: {}", r.status().ToString());
                 return;
               }
               if (!registered_) {
                 spdlog::info("registered node {} with controller {}", options_.node.id,
                              options_.controller);
               }
               registered_ = true;
               StopAttempts(r->stop, "the controller no longer runs this attempt");
             });
}

void Agent::ScheduleHeartbeat() {
  heartbeat_timer_.expires_after(options_.heartbeat);
  heartbeat_timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (ec || !*alive) return;
    Heartbeat();
    ScheduleHeartbeat();
  });
}

void Agent::Heartbeat() {
  if (!registered_) return Register();
  if (heartbeat_in_flight_) return;
  heartbeat_in_flight_ = true;
  protocol::HeartbeatRequest req;
  req.node_id = options_.node.id;
  req.running = Running();
  // A heartbeat lost with a killed controller's connection gets no reply;
  // waiting the whole request timeout for it would keep the node silent
  // longer than the restarted controller waits for its nodes. Give up after
  // three periods: the next tick sends another (a late reply is dropped).
  link_.Call(req, std::min(options_.request_timeout, 3 * options_.heartbeat),
             [this, alive = alive_](Result<protocol::Envelope> reply) {
               if (!*alive) return;
               heartbeat_in_flight_ = false;
               if (!reply.ok()) {
                 spdlog::warn("heartbeat: {}", reply.status().ToString());
                 return;
               }
               auto r = protocol::DecodeBody<protocol::HeartbeatReply>(*reply);
               if (!r.ok()) {
                 spdlog::warn("heartbeat reply: {}", r.status().ToString());
                 return;
               }
               if (!r->registered) {
                 spdlog::info("controller does not know node {}: registering again",
                              options_.node.id);
                 registered_ = false;
                 Register();
               }
               StopAttempts(r->stop, "orphaned: the controller no longer runs this attempt");
             });
}

void Agent::StopAttempts(const std::vector<protocol::AttemptRef>& refs,
                         const std::string& reason) {
  for (const auto& ref : refs) {
    auto it = runners_.find({ref.job_id, ref.attempt});
    if (it != runners_.end()) it->second->Stop(options_.default_grace, reason);
  }
}

void Agent::HandlePush(protocol::Envelope envelope) {
  auto it = push_handlers_.find(envelope.type);
  if (it == push_handlers_.end()) {
    link_.CountBadCommand("command", InvalidArgumentError("unknown command '" +
                                                          envelope.type.substr(0, 64) + "'"));
    return;
  }
  (this->*(it->second))(envelope);
}

void Agent::HandleStartAttempt(const protocol::Envelope& envelope) {
  auto cmd = protocol::DecodeBody<protocol::StartAttemptCommand>(envelope);
  if (!cmd.ok()) {
    link_.CountBadCommand("start_attempt", cmd.status());
    return;
  }
  if (shutting_down_) return;
  AttemptKey key{cmd->job_id, cmd->attempt};
  if (runners_.count(key) > 0) return;  // a repeated command: already running
  spdlog::info("start job {} attempt {}: ranks {} of {}", cmd->job_id, cmd->attempt,
               cmd->ranks.size(), cmd->world_size);
  AttemptRunnerOptions ro;
  ro.work_dir = options_.work_dir;
  ro.node_id = options_.node.id;
  ro.default_grace = options_.default_grace;
  ro.base_env = options_.base_env;
  ro.shipper = options_.shipper;
  ro.fifos = &fifos_;
  ro.dirs = &dirs_;
  ro.started_report_delay = options_.started_report_delay;
  OutputsUploadJob upload{options_.work_dir, options_.node.id, cmd->job_id,   cmd->attempt,
                          cmd->node_rank,    cmd->num_nodes,   cmd->ranks};
  auto runner = std::make_unique<AttemptRunner>(
      io_, runtime_, this, std::move(ro), std::move(*cmd), [this, key, upload, alive = alive_] {
        if (!*alive) return;
        auto it = runners_.find(key);
        // The runner reported an empty manifest with its last exit.
        bool outputs_reported = it != runners_.end() && it->second->outputs_reported();
        runners_.erase(key);
        if (outputs_reported) {
          // Nothing left to upload: the directory may serve the next attempt;
          // one that holds files (code/, files written in the cwd) goes.
          if (!dirs_.Release(paths::AttemptDir(upload.work_dir, upload.job_id, upload.attempt))) {
            RemoveAttemptDir(key);
          }
        } else {
          StartOutputsUpload(upload);
        }
        CheckShutdown();
      });
  AttemptRunner* r = runner.get();
  runners_[key] = std::move(runner);
  r->Start();
}

void Agent::HandleStopAttempt(const protocol::Envelope& envelope) {
  auto cmd = protocol::DecodeBody<protocol::StopAttemptCommand>(envelope);
  if (!cmd.ok()) {
    link_.CountBadCommand("stop_attempt", cmd.status());
    return;
  }
  auto it = runners_.find({cmd->job_id, cmd->attempt});
  if (it == runners_.end()) return;
  it->second->Stop(std::chrono::milliseconds(cmd->grace_ms), cmd->reason);
}

void Agent::ReportRankEvent(protocol::RankEventRequest event, std::function<void()> on_acked) {
  // A refused event counts as delivered (the sender logged why).
  events_.Report(std::move(event), [on_acked = std::move(on_acked)](const Status&) {
    if (on_acked) on_acked();
  });
}

void Agent::SendLogBatch(protocol::LogBatchRequest batch,
                         std::function<void(Result<uint64_t>)> on_reply) {
  uint64_t first = batch.first_seq;
  auto lines = protocol::UnpackLines(batch.lines.data);
  uint64_t end = first + (lines.ok() ? lines->size() : 0);
  link_.Call(batch, options_.request_timeout,
             [on_reply = std::move(on_reply), first, end,
              job = batch.job_id](Result<protocol::Envelope> reply) {
               if (!reply.ok()) {
                 if (Retryable(reply.status())) return on_reply(reply.status());
                 // The controller will never take these lines (e.g. the job
                 // is gone): drop them rather than retry forever.
                 spdlog::warn("controller refused log lines {}..{} of job {}: {}", first, end,
                              job, reply.status().ToString());
                 return on_reply(end);
               }
               auto r = protocol::DecodeBody<protocol::LogBatchReply>(*reply);
               if (!r.ok()) return on_reply(r.status());
               on_reply(r->next_seq);
             });
}

void Agent::Shutdown(std::function<void()> on_done) {
  if (shutting_down_) return;
  shutting_down_ = true;
  on_shutdown_ = std::move(on_done);
  spdlog::info("shutting down: stopping {} attempt(s)", runners_.size());
  for (auto& [key, runner] : runners_) runner->Stop(options_.default_grace, "agent shutdown");
  shutdown_timer_.expires_after(options_.default_grace + kShutdownSlack);
  shutdown_timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (ec || !*alive || !on_shutdown_) return;
    spdlog::warn("shutdown: giving up on reporting {} attempt(s)", runners_.size());
    runners_.clear();  // kills whatever is left
    auto cb = std::move(on_shutdown_);
    on_shutdown_ = nullptr;
    cb();
  });
  CheckShutdown();
}

void Agent::CheckShutdown() {
  if (!shutting_down_ || !runners_.empty() || !on_shutdown_) return;
  shutdown_timer_.cancel();
  auto cb = std::move(on_shutdown_);
  on_shutdown_ = nullptr;
  boost::asio::post(io_, std::move(cb));
}

void Agent::StartOutputsUpload(OutputsUploadJob job) {
  // A stopping agent does not start uploads; the controller shows the
  // outputs as failed once the node is lost.
  if (shutting_down_) return;
  AttemptKey key{job.job_id, job.attempt};
  if (uploads_.count(key) > 0) return;
  auto uploader = std::make_unique<OutputsUploader>(
      io_, &link_, std::move(job), options_.uploads, [this, key, alive = alive_] {
        if (!*alive) return;
        auto it = uploads_.find(key);
        bool stored = it != uploads_.end() && it->second->stored();
        uploads_.erase(key);
        OnOutputsUploaded(key, stored);
      });
  OutputsUploader* u = uploader.get();
  // No file written: the empty manifest rides with the rank events.
  u->SendEmptyManifestWith(
      [this](protocol::EmptyOutputs outputs, std::function<void(const Status&)> done) {
        events_.Report(std::move(outputs), std::move(done));
      });
  uploads_[key] = std::move(uploader);
  u->Start();
}

}  // namespace jobctl::agent
