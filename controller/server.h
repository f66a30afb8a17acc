// Server: jobctld's event loop. One ZeroMQ ROUTER socket; clients and agents
// connect with DEALER sockets. Every request gets exactly one reply frame with
// its request_id (a typed reply or an ErrorReply); commands to agents are
// pushed with request_id 0 to the ROUTER identity a node last spoke from.
//
// One poll iteration: receive up to max_batch frames and dispatch each to its
// handler (one per message type, registered in one table), expire nodes, run
// the JobManager's timers and scheduler, commit the state store ONCE (group
// commit), and only then send the replies and commands queued meanwhile. If
// the commit fails, submits of the batch are forgotten and every reply of
// the batch becomes an UNAVAILABLE error, so nothing unstored is acknowledged.
// ReadLogs with wait_ms parks the request and answers it when records arrive
// or the wait ends; the loop never blocks on it. Unknown types and malformed
// frames are answered with an ErrorReply when a request id can be read, and
// counted. Sends never block: a gone peer's frames are dropped.
// A request over a size limit (request_limits.h, docs/limits.md) is refused
// with an error naming the limit and counted per limit (server_stats.cc).
// The ROUTER fair-queues its connections, so a flooding peer only gets its
// share of each iteration's frames (server_flood_test.cc).
//
// Thread-safety: Run() owns everything; Stop() and the counters may be used
// from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <zmq.hpp>

#include "common/clock.h"
#include "common/protocol/auth_messages.h"
#include "common/protocol/codec.h"
#include "common/protocol/event_messages.h"
#include "common/protocol/stats_messages.h"
#include "common/status.h"
#include "controller/auth/principal.h"
#include "controller/autoscaler.h"
#include "controller/config.h"
#include "controller/flags.h"
#include "controller/artifact_store.h"
#include "controller/job_manager.h"
#include "controller/log_store.h"
#include "controller/memory_metric_store.h"
#include "controller/metric_store.h"
#include "controller/model_registry.h"
#include "controller/node_registry.h"
#include "controller/server_counters.h"
#include "controller/state_store.h"

namespace jobctl::controller {

namespace auth {
class Authenticator;
class ConnectionMonitor;
}  // namespace auth

struct ServerOptions {
  std::string listen = "tcp://127.0.0.1:7070";
  std::string data_dir;  // code archives (the stores are passed in)
  int64_t heartbeat_timeout_ms = 10000;
  int grace_ms = 10000;
  PortRange ports;
  int max_batch = 1024;      // frames per iteration, committed together
  int poll_interval_ms = 50;  // the longest the loop sleeps without work
  int max_wait_ms = 60000;   // cap on a ReadLogs long poll
  std::string version = "0.1.0";
  std::vector<PoolConfig> pools;  // from --config; autoscaled (server_pools.cc)
  int pool_tick_ms = 50;          // how often the autoscaler looks at the pools
  // CURVE and per-message access checks (server_auth.cc, docs/security.md).
  // Null: no authentication, every request is an admin named "local" (only
  // for tests of other features; jobctld always sets one). Must outlive the
  // server and use the server's ZeroMQ context.
  auth::Authenticator* authenticator = nullptr;
};

class Server : private AgentSender {
 public:
  // The stores and the clock must outlive the server.
  Server(ServerOptions options, zmq::context_t& context, StateStore* store, LogStore* logs,
         const Clock* clock);
  ~Server() override;
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Loads state and binds the socket. After it, endpoint() is the bound
  // address (a `tcp://host:*` listen address resolved to its port).
  Status Start();
  const std::string& endpoint() const { return endpoint_; }
  // Serves until Stop(). Returns an error only if the socket fails.
  Status Run();
  void Stop() { stop_.store(true); }

  // Where metric points go (server_metrics.cc); an in-memory store until
  // set. `metrics` must outlive the server. Call before Start().
  void SetMetricStore(MetricStore* metrics) { metrics_ = metrics; }

  uint64_t malformed_frames() const { return malformed_frames_.load(); }
  uint64_t unknown_types() const { return unknown_types_.load(); }
  uint64_t failed_commits() const { return failed_commits_.load(); }
  // Frames received, requests refused per limit, peers (server_stats.cc).
  ServerCounters::Snapshot counters() const { return counters_.Get(clock_->SteadyMillis()); }
  // Authentication (server_auth.cc): requests answered PERMISSION_DENIED
  // (the access table refused them, or their token was revoked; another
  // user's job answers NOT_FOUND and is not counted here), and connections
  // refused at the handshake: unknown client keys (ZAP), and plain-text
  // clients or clients holding another controller's key (socket monitor).
  uint64_t permission_denied() const { return permission_denied_.load(); }
  // Every message type the server has a handler for (for the test that each
  // one has a row in the access table).
  std::vector<std::string> HandledTypes() const;
  uint64_t refused_unknown_keys() const;
  uint64_t refused_handshakes() const;

 private:
  struct Incoming {
    std::vector<std::string> route;  // ROUTER identity frames
    uint64_t request_id = 0;
    auth::Principal principal = auth::LocalPrincipal();  // who sent it (server_auth.cc)
  };
  struct Outgoing {
    std::vector<std::string> route;
    std::string frame;
    bool is_reply = false;
    uint64_t request_id = 0;
  };
  struct ParkedRead {
    Incoming in;
    protocol::ReadLogsRequest request;
    int64_t deadline_ms = 0;  // steady clock
  };
  using Handler = std::function<void(const Incoming&, const protocol::Envelope&)>;

  // Registers a typed handler: decode Req, call fn, encode its reply or error.
  template <typename Req, typename Rep>
  void Install(Result<Rep> (Server::*fn)(const Req&, const Incoming&));
  void InstallHandlers();
  // Runs the request's size checks (request_limits.h); a request over a
  // limit is answered with the error, counted, and not handled.
  template <typename Req>
  bool AdmitWithinLimits(const Req& request, const Incoming& in);

  void Iterate(int timeout_ms);
  void Dispatch(std::vector<zmq::message_t>& parts);
  void Reply(const Incoming& in, std::string frame);
  void SendToNode(const std::string& node_id, std::string frame) override;
  void RememberNode(const std::string& node_id, const Incoming& in);
  void CommitAndFlush();
  void ServeParkedReads();
  int NextWakeMs() const;

  Result<protocol::PingReply> HandlePing(const protocol::PingRequest&, const Incoming&);
  Result<protocol::SubmitJobReply> HandleSubmitJob(const protocol::SubmitJobRequest&,
                                                   const Incoming&);
  Result<protocol::ListJobsReply> HandleListJobs(const protocol::ListJobsRequest&,
                                                 const Incoming&);
  Result<protocol::GetJobReply> HandleGetJob(const protocol::GetJobRequest&, const Incoming&);
  Result<protocol::CancelJobReply> HandleCancelJob(const protocol::CancelJobRequest&,
                                                   const Incoming&);
  Result<protocol::ListNodesReply> HandleListNodes(const protocol::ListNodesRequest&,
                                                   const Incoming&);
  Result<protocol::RegisterNodeReply> HandleRegisterNode(const protocol::RegisterNodeRequest&,
                                                         const Incoming&);
  Result<protocol::HeartbeatReply> HandleHeartbeat(const protocol::HeartbeatRequest&,
                                                   const Incoming&);
  Result<protocol::OkReply> HandleRankEvent(const protocol::RankEventRequest&, const Incoming&);
  Result<protocol::LogBatchReply> HandleLogBatch(const protocol::LogBatchRequest&,
                                                 const Incoming&);
  // Pools (server_pools.cc).
  Status StartPools();
  void TickPools();
  std::vector<ScalerNode> ScalerNodes() const;
  std::vector<ScalerJob> ScalerJobs() const;
  Status CheckSubmitPool(const protocol::SubmitJobRequest& request) const;
  Result<protocol::ListPoolsReply> HandleListPools(const protocol::ListPoolsRequest&,
                                                   const Incoming&);
  // Answers now, or parks the request (returns nullopt-like false).
  void HandleReadLogs(const protocol::ReadLogsRequest& request, const Incoming& in);
  // The reply for a read, or an error; `has_news` says whether it should be sent now.
  Result<protocol::ReadLogsReply> ReadLogs(const protocol::ReadLogsRequest& request,
                                           bool* has_news);

  // Metrics (server_metrics.cc).
  Result<protocol::MetricBatchReply> HandleMetricBatch(const protocol::MetricBatchRequest&,
                                                       const Incoming&);
  Result<protocol::ReadMetricsReply> HandleReadMetrics(const protocol::ReadMetricsRequest&,
                                                       const Incoming&);
  Result<protocol::MetricSummaryReply> HandleMetricSummary(const protocol::MetricSummaryRequest&,
                                                           const Incoming&);
  // Outputs and the model registry (server_artifacts.cc).
  Status OpenArtifacts();
  Result<protocol::OutputsMissingReply> HandleOutputsMissing(
      const protocol::OutputsMissingRequest&, const Incoming&);
  Result<protocol::BlobChunkReply> HandleBlobChunk(const protocol::BlobChunkRequest&,
                                                   const Incoming&);
  Result<protocol::OkReply> HandleOutputsCommit(const protocol::OutputsCommitRequest&,
                                                const Incoming&);
  Result<protocol::ListOutputsReply> HandleListOutputs(const protocol::ListOutputsRequest&,
                                                       const Incoming&);
  Result<protocol::ReadBlobReply> HandleReadBlob(const protocol::ReadBlobRequest&,
                                                 const Incoming&);
  Result<protocol::RegisterModelReply> HandleRegisterModel(const protocol::RegisterModelRequest&,
                                                           const Incoming&);
  Result<protocol::ListModelsReply> HandleListModels(const protocol::ListModelsRequest&,
                                                     const Incoming&);
  Result<protocol::GetModelReply> HandleGetModel(const protocol::GetModelRequest&,
                                                 const Incoming&);
  Result<ArtifactStore*> Artifacts();
  // Counters (server_stats.cc).
  Result<protocol::ServerStatsReply> HandleServerStats(const protocol::ServerStatsRequest&,
                                                       const Incoming&);

  // Authentication (server_auth.cc). SecureSocket: before bind. Authorize:
  // fills in.principal and checks the access table; false (answered with
  // PERMISSION_DENIED) when refused.
  Status SecureSocket();
  bool Authorize(zmq::message_t& frame, const std::string& type, Incoming* in);
  // NOT_FOUND, worded as for a missing job, when a non-admin user asks for
  // another user's job.
  Status CheckJobAccess(const Incoming& in, const std::string& job_id) const;
  // The owner list_jobs is limited to: empty for admins (all jobs).
  std::string OwnerFilter(const Incoming& in) const;
  // Tokens (server_tokens.cc).
  Result<protocol::CreateTokenReply> HandleCreateToken(const protocol::CreateTokenRequest&,
                                                       const Incoming&);
  Result<protocol::ListTokensReply> HandleListTokens(const protocol::ListTokensRequest&,
                                                     const Incoming&);
  Result<protocol::OkReply> HandleRevokeToken(const protocol::RevokeTokenRequest&, const Incoming&);
  Result<protocol::WhoAmIReply> HandleWhoAmI(const protocol::WhoAmIRequest&, const Incoming&);
  // Batched rank events and empty output manifests (server_rank_events.cc).
  Result<protocol::RankEventsReply> HandleRankEvents(const protocol::RankEventsRequest&,
                                                     const Incoming&);

  ServerOptions options_;
  zmq::context_t& context_;
  StateStore* store_;
  LogStore* logs_;
  const Clock* clock_;
  NodeRegistry nodes_;
  JobManager jobs_;
  std::unique_ptr<zmq::socket_t> socket_;
  // Watches socket_ for failed handshakes; declared after it so that it is
  // destroyed (and stops watching) first.
  std::unique_ptr<auth::ConnectionMonitor> monitor_;
  std::string endpoint_;
  int64_t started_ms_ = 0;

  std::unordered_map<std::string, Handler> handlers_;
  std::map<std::string, std::vector<std::string>> node_routes_;  // node id -> ROUTER identity
  std::vector<Outgoing> outbox_;
  std::list<ParkedRead> parked_;
  std::unique_ptr<ArtifactStore> artifacts_;  // null without a data dir
  std::unique_ptr<ModelRegistry> models_;

  std::unique_ptr<Autoscaler> autoscaler_;
  int64_t last_pool_tick_ms_ = 0;
  std::unique_ptr<MetricStore> own_metrics_ = std::make_unique<MemoryMetricStore>();
  MetricStore* metrics_ = own_metrics_.get();

  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> malformed_frames_{0};
  std::atomic<uint64_t> unknown_types_{0};
  std::atomic<uint64_t> failed_commits_{0};
  ServerCounters counters_;
  std::atomic<uint64_t> permission_denied_{0};
};

}  // namespace jobctl::controller
