// Agent: the node agent's state and its conversation with the controller.
//
// Registers the node (with the ranks it still runs), heartbeats every
// `heartbeat` period (registering again when the controller does not know
// the node, and stopping the attempts the controller lists in `stop`),
// starts an AttemptRunner per start_attempt command and stops it on
// stop_attempt. Rank events and empty output manifests go out through one
// EventSender (event_sender.h): in report order, batched while a report is
// in flight, each retried until the controller acknowledges it. One handler
// per pushed command, registered in one dispatch table.
//
// Thread-safety: one thread owns everything here: the one running `io`.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <zmq.hpp>

#include "agent/attempt_dir_pool.h"
#include "agent/attempt_dir_remover.h"
#include "agent/attempt_reporter.h"
#include "agent/attempt_runner.h"
#include "agent/controller_link.h"
#include "agent/event_sender.h"
#include "agent/fifo_pool.h"
#include "agent/outputs_uploader.h"
#include "agent/runtime.h"
#include "common/protocol/messages.h"

namespace jobctl::agent {

struct AgentOptions {
  std::string controller;  // ZeroMQ endpoint
  std::string work_dir;
  protocol::NodeInfo node;  // id, hostname, address, pool, labels, cpus, memory_bytes, gpus
  std::chrono::milliseconds heartbeat{1000};
  std::chrono::milliseconds default_grace{10000};
  std::chrono::milliseconds request_timeout{5000};
  std::chrono::milliseconds retry_delay{200};
  std::vector<std::string> base_env;  // environment the ranks inherit
  LogShipperOptions shipper;
  OutputsUploaderOptions uploads;
  // How long a rank's `started` report waits for its exit to travel with
  // (attempt_runner.h).
  std::chrono::milliseconds started_report_delay{10};
  std::optional<auth::ClientCredentials> credentials;  // CURVE keys of the join token
  // Keep every finished attempt's work directory (--keep-attempt-dirs);
  // empty ones still serve the next attempts (attempt_dir_pool.h).
  bool keep_attempt_dirs = false;
};

class Agent final : public AttemptReporter {
 public:
  // `zmq_context` and `runtime` must outlive the agent.
  Agent(boost::asio::io_context& io, zmq::context_t& zmq_context, Runtime* runtime,
        AgentOptions options);
  ~Agent() override;
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // Connects and starts registering (retried until the controller answers).
  Status Start();
  // Stops every rank (SIGTERM, SIGKILL after the default grace), waits for
  // their exits to be reported (at most the grace plus a few seconds), then
  // calls `on_done`.
  void Shutdown(std::function<void()> on_done);

  bool registered() const { return registered_; }
  // Frames and commands from the controller dropped as malformed (ControllerLink).
  uint64_t bad_commands() const { return link_.bad_commands(); }
  std::vector<protocol::RunningRank> Running() const;

  // AttemptReporter.
  void ReportRankEvent(protocol::RankEventRequest event, std::function<void()> on_acked) override;
  void SendLogBatch(protocol::LogBatchRequest batch,
                    std::function<void(Result<uint64_t>)> on_reply) override;
  // agent_metrics.cc.
  void SendMetricBatch(protocol::MetricBatchRequest batch,
                       std::function<void(Result<uint64_t>)> on_reply) override;
  // agent_outputs.cc.
  bool ReportEmptyOutputs(protocol::EmptyOutputs outputs) override;

 private:
  using AttemptKey = std::pair<std::string, int>;

  void Register();
  void ScheduleHeartbeat();
  void Heartbeat();
  void StopAttempts(const std::vector<protocol::AttemptRef>& refs, const std::string& reason);
  void HandlePush(protocol::Envelope envelope);
  void HandleStartAttempt(const protocol::Envelope& envelope);
  void HandleStopAttempt(const protocol::Envelope& envelope);
  void CheckShutdown();
  // Uploads the outputs of an attempt that ended here (outputs_uploader.h).
  void StartOutputsUpload(OutputsUploadJob job);
  // agent_attempt_dirs.cc: the end of a finished attempt's work directory.
  void RemoveAttemptDir(const AttemptKey& key);
  void OnOutputsUploaded(const AttemptKey& key, bool stored);

  boost::asio::io_context& io_;
  Runtime* runtime_;
  AgentOptions options_;
  ControllerLink link_;
  std::map<std::string, void (Agent::*)(const protocol::Envelope&)> push_handlers_;
  FifoPool fifos_;       // outlives the runners
  AttemptDirPool dirs_;  // likewise
  // Deletes finished attempts' directories (agent_attempt_dirs.cc).
  AttemptDirRemover removed_dirs_;
  std::map<AttemptKey, std::unique_ptr<AttemptRunner>> runners_;
  std::map<AttemptKey, std::unique_ptr<OutputsUploader>> uploads_;
  boost::asio::steady_timer heartbeat_timer_;
  boost::asio::steady_timer shutdown_timer_;
  bool registered_ = false;
  bool register_in_flight_ = false;
  bool heartbeat_in_flight_ = false;
  EventSender events_;  // after link_
  bool shutting_down_ = false;
  std::function<void()> on_shutdown_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace jobctl::agent
