// One handler per message type (registered in Server::InstallHandlers).
#include <algorithm>

#include <spdlog/spdlog.h>

#include "common/protocol/log_records.h"
#include "controller/server.h"

namespace jobctl::controller {

Result<protocol::PingReply> Server::HandlePing(const protocol::PingRequest&, const Incoming&) {
  return protocol::PingReply{options_.version, started_ms_, nodes_.ReadyCount()};
}

Result<protocol::SubmitJobReply> Server::HandleSubmitJob(const protocol::SubmitJobRequest& request,
                                                         const Incoming& in) {
  JOBCTL_RETURN_IF_ERROR(CheckSubmitPool(request));
  JOBCTL_ASSIGN_OR_RETURN(std::string id, jobs_.Submit(request, in.principal.name));
  return protocol::SubmitJobReply{id};
}

Result<protocol::ListJobsReply> Server::HandleListJobs(const protocol::ListJobsRequest& request,
                                                       const Incoming& in) {
  JOBCTL_ASSIGN_OR_RETURN(auto jobs, jobs_.List(request, OwnerFilter(in)));
  return protocol::ListJobsReply{std::move(jobs)};
}

Result<protocol::GetJobReply> Server::HandleGetJob(const protocol::GetJobRequest& request,
                                                   const Incoming& in) {
  JOBCTL_RETURN_IF_ERROR(CheckJobAccess(in, request.job_id));
  JOBCTL_ASSIGN_OR_RETURN(auto job, jobs_.Get(request.job_id));
  return protocol::GetJobReply{std::move(job)};
}

Result<protocol::CancelJobReply> Server::HandleCancelJob(const protocol::CancelJobRequest& request,
                                                         const Incoming& in) {
  JOBCTL_RETURN_IF_ERROR(CheckJobAccess(in, request.job_id));
  JOBCTL_ASSIGN_OR_RETURN(JobState state, jobs_.Cancel(request.job_id));
  return protocol::CancelJobReply{std::string(JobStateName(state))};
}

Result<protocol::ListNodesReply> Server::HandleListNodes(const protocol::ListNodesRequest&,
                                                         const Incoming&) {
  protocol::ListNodesReply reply;
  for (const auto& [id, entry] : nodes_.nodes()) reply.nodes.push_back(jobs_.Describe(entry));
  return reply;
}

Result<protocol::RegisterNodeReply> Server::HandleRegisterNode(
    const protocol::RegisterNodeRequest& request, const Incoming& in) {
  if (request.node.id.empty()) return InvalidArgumentError("register_node: node.id is empty");
  if (request.node.cpus < 0 || request.node.memory_bytes < 0) {
    return InvalidArgumentError("register_node: node " + request.node.id +
                                " reports negative cpus or memory");
  }
  if (autoscaler_ && autoscaler_->Refuses(request.node.id)) {
    return FailedPreconditionError("register_node: node " + request.node.id +
                                   " is being removed from its pool");
  }
  bool known = nodes_.Find(request.node.id) != nullptr;
  nodes_.Register(request.node);
  RememberNode(request.node.id, in);
  spdlog::info("node {} {} ({} at {}, pool '{}', {} CPUs, {} GPUs, {} running ranks)",
               request.node.id, known ? "re-registered" : "registered", request.node.hostname,
               request.node.address, request.node.pool, request.node.cpus,
               request.node.gpus.size(), request.running.size());
  protocol::RegisterNodeReply reply;
  reply.heartbeat_interval_ms =
      static_cast<int>(std::clamp<int64_t>(options_.heartbeat_timeout_ms / 4, 10, 1000));
  reply.stop = jobs_.OnNodeReport(request.node.id, request.running);
  jobs_.MarkDirty();
  return reply;
}

Result<protocol::HeartbeatReply> Server::HandleHeartbeat(const protocol::HeartbeatRequest& request,
                                                         const Incoming& in) {
  protocol::HeartbeatReply reply;
  if (!nodes_.Heartbeat(request.node_id)) {
    reply.registered = false;
    return reply;
  }
  RememberNode(request.node_id, in);
  reply.stop = jobs_.OnNodeReport(request.node_id, request.running);
  return reply;
}

Result<protocol::OkReply> Server::HandleRankEvent(const protocol::RankEventRequest& request,
                                                  const Incoming& in) {
  RememberNode(request.node_id, in);
  JOBCTL_RETURN_IF_ERROR(jobs_.OnRankEvent(request));
  return protocol::OkReply{};
}

Result<protocol::LogBatchReply> Server::HandleLogBatch(const protocol::LogBatchRequest& request,
                                                       const Incoming& in) {
  RememberNode(request.node_id, in);
  JOBCTL_RETURN_IF_ERROR(jobs_.StateOf(request.job_id).status());
  if (request.attempt < 0 || request.rank < 0) {
    return InvalidArgumentError("log_batch: negative attempt or rank");
  }
  JOBCTL_ASSIGN_OR_RETURN(auto lines, protocol::UnpackLines(request.lines.data));
  JOBCTL_ASSIGN_OR_RETURN(uint64_t next,
                          logs_->Append(request.job_id, static_cast<uint32_t>(request.attempt),
                                        static_cast<uint32_t>(request.rank), request.first_seq,
                                        lines));
  return protocol::LogBatchReply{next};
}

Result<protocol::ReadLogsReply> Server::ReadLogs(const protocol::ReadLogsRequest& request,
                                                 bool* has_news) {
  JOBCTL_ASSIGN_OR_RETURN(JobState state, jobs_.StateOf(request.job_id));
  // Decide completeness before reading, so no record can slip in between.
  bool terminal_and_drained = jobs_.LogsComplete(request.job_id);
  uint32_t max_records = request.max_records == 0 ? 10000 : request.max_records;
  JOBCTL_ASSIGN_OR_RETURN(auto read, logs_->Read(request.job_id, request.from_index, request.rank,
                                                 request.tail, max_records));
  protocol::ReadLogsReply reply;
  reply.records.data = std::move(read.records);
  reply.next_index = read.next_index;
  reply.state = std::string(JobStateName(state));
  reply.complete =
      terminal_and_drained && read.next_index >= logs_->RecordCount(request.job_id);
  *has_news = read.count > 0 || reply.complete || read.next_index > request.from_index;
  return reply;
}

void Server::HandleReadLogs(const protocol::ReadLogsRequest& request, const Incoming& in) {
  if (Status access = CheckJobAccess(in, request.job_id); !access.ok()) {
    Reply(in, protocol::EncodeError(access, in.request_id));
    return;
  }
  bool has_news = false;
  auto reply = ReadLogs(request, &has_news);
  if (!reply.ok()) {
    Reply(in, protocol::EncodeError(reply.status(), in.request_id));
    return;
  }
  if (has_news || request.wait_ms <= 0 || request.tail >= 0) {
    Reply(in, protocol::Encode(*reply, in.request_id));
    return;
  }
  int64_t wait = std::min<int64_t>(request.wait_ms, options_.max_wait_ms);
  parked_.push_back(ParkedRead{in, request, clock_->SteadyMillis() + wait});
}

}  // namespace jobctl::controller
