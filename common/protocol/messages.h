// The wire protocol: every message that crosses a socket, defined once.
//
// Each message is a struct with a `kType` name and an nlohmann-json mapping;
// codec.h frames it in an Envelope and encodes it as MessagePack. Nothing is
// packed by hand anywhere else. docs/protocol.md describes the flows.
//
// Sockets: the controller binds one ZeroMQ ROUTER endpoint. Clients (jobctl)
// and agents (jobagent) connect out with DEALER sockets, so agents behind NAT
// work. Client and agent requests get exactly one reply with the same
// request_id (a typed reply or an ErrorReply). The controller also pushes
// commands (StartAttemptCommand, StopAttemptCommand) to an agent's identity;
// those carry request_id 0 and get no reply: the agent answers through events.
//
// Versioning: Envelope.version is kProtocolVersion. A peer that receives
// another major version answers ErrorReply{FAILED_PRECONDITION}. Fields are
// added with defaults, never renamed or repurposed.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/job_spec/job_spec.h"

namespace jobctl::protocol {

inline constexpr int kProtocolVersion = 1;

// Opaque bytes (code archives, packed log records). Encoded as MessagePack
// binary, so it need not be UTF-8.
struct Blob {
  std::string data;
};
void to_json(nlohmann::json& j, const Blob& b);
void from_json(const nlohmann::json& j, Blob& b);

// ---------------------------------------------------------------- shared types

struct StateTransition {
  std::string from;  // JobStateName(); empty for the first
  std::string to;
  int64_t time_ms = 0;
  int attempt = 0;
  std::string reason;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(StateTransition, from, to, time_ms, attempt, reason)

struct JobSummary {
  std::string id;
  std::string name;
  std::string display_name;
  std::string experiment;
  std::string state;  // JobStateName()
  int attempt = 1;
  int priority = 0;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  int nodes = 1;
  int processes_per_node = 1;
  std::string owner;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(JobSummary, id, name, display_name, experiment,
                                                state, attempt, priority, created_ms, updated_ms,
                                                nodes, processes_per_node, owner)

struct RankStatus {
  int rank = 0;
  std::string node_id;
  std::string state;  // pending | running | exited
  int exit_code = 0;  // valid when state == exited
  int signal = 0;     // the signal that ended it, 0 if none
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(RankStatus, rank, node_id, state, exit_code,
                                                signal)

struct JobDetail {
  JobSummary summary;
  JobSpec spec;
  std::vector<StateTransition> transitions;
  std::string pending_reason;  // why a QUEUED/SCALING job does not run yet
  std::string end_reason;      // why it ended (rank 1 exited with code 3, ...)
  std::vector<std::string> nodes;  // node ids of the current attempt, by node rank
  std::string master_addr;
  int master_port = 0;
  std::vector<RankStatus> ranks;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(JobDetail, summary, spec, transitions,
                                                pending_reason, end_reason, nodes, master_addr,
                                                master_port, ranks)

struct GpuInfo {
  int index = 0;
  std::string name;
  int64_t memory_bytes = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(GpuInfo, index, name, memory_bytes)

// A rank an agent runs (reported at registration and in heartbeats).
struct RunningRank {
  std::string job_id;
  int attempt = 0;
  int rank = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(RunningRank, job_id, attempt, rank)

struct AttemptRef {
  std::string job_id;
  int attempt = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(AttemptRef, job_id, attempt)

struct NodeInfo {
  std::string id;
  std::string hostname;
  std::string address;  // where other nodes reach this one (MASTER_ADDR)
  std::string pool;
  std::map<std::string, std::string> labels;
  double cpus = 0;
  int64_t memory_bytes = 0;
  std::vector<GpuInfo> gpus;
  std::string state;  // READY | LOST
  double free_cpus = 0;
  int64_t free_memory_bytes = 0;
  int free_gpus = 0;
  int running_ranks = 0;
  int64_t last_heartbeat_ms = 0;
  int64_t registered_ms = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(NodeInfo, id, hostname, address, pool, labels,
                                                cpus, memory_bytes, gpus, state, free_cpus,
                                                free_memory_bytes, free_gpus, running_ranks,
                                                last_heartbeat_ms, registered_ms)

// ------------------------------------------------------------------- replies

// The reply to any request that failed. code is StatusCodeName().
struct ErrorReply {
  static constexpr std::string_view kType = "error";
  std::string code;
  std::string message;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ErrorReply, code, message)

struct OkReply {
  static constexpr std::string_view kType = "ok";
};
inline void to_json(nlohmann::json& j, const OkReply&) { j = nlohmann::json::object(); }
inline void from_json(const nlohmann::json&, OkReply&) {}

// ------------------------------------------------------ client -> controller

struct PingRequest {
  static constexpr std::string_view kType = "ping";
};
inline void to_json(nlohmann::json& j, const PingRequest&) { j = nlohmann::json::object(); }
inline void from_json(const nlohmann::json&, PingRequest&) {}

struct PingReply {
  static constexpr std::string_view kType = "ping_reply";
  std::string version;
  int64_t started_ms = 0;
  int ready_nodes = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(PingReply, version, started_ms, ready_nodes)

struct SubmitJobRequest {
  static constexpr std::string_view kType = "submit_job";
  JobSpec spec;
  std::string spec_file;  // the path the user gave, for messages
  Blob code_archive;      // tar.gz of the code folder; empty when none
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SubmitJobRequest, spec, spec_file, code_archive)

struct SubmitJobReply {
  static constexpr std::string_view kType = "submit_job_reply";
  std::string job_id;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SubmitJobReply, job_id)

struct ListJobsRequest {
  static constexpr std::string_view kType = "list_jobs";
  std::string state;       // filter; empty: all
  std::string experiment;  // filter; empty: all
  int limit = 0;           // 0: no limit; newest first
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ListJobsRequest, state, experiment, limit)

struct ListJobsReply {
  static constexpr std::string_view kType = "list_jobs_reply";
  std::vector<JobSummary> jobs;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ListJobsReply, jobs)

struct GetJobRequest {
  static constexpr std::string_view kType = "get_job";
  std::string job_id;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(GetJobRequest, job_id)

struct GetJobReply {
  static constexpr std::string_view kType = "get_job_reply";
  JobDetail job;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(GetJobReply, job)

struct CancelJobRequest {
  static constexpr std::string_view kType = "cancel_job";
  std::string job_id;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(CancelJobRequest, job_id)

struct CancelJobReply {
  static constexpr std::string_view kType = "cancel_job_reply";
  std::string state;  // the job's state after the request
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(CancelJobReply, state)

// Reads a job's log. The job log is one sequence of records (every rank, every
// attempt) numbered 0, 1, 2, ... in the order the controller stored them;
// from_index is where to start, next_index where to continue. A follower
// keeps next_index across reconnects, so it never loses or repeats a line.
struct ReadLogsRequest {
  static constexpr std::string_view kType = "read_logs";
  std::string job_id;
  uint64_t from_index = 0;
  int rank = -1;           // -1: every rank
  int64_t tail = -1;       // >= 0: only the last `tail` matching records (from_index ignored)
  uint32_t max_records = 10000;
  int wait_ms = 0;         // long poll: wait up to this long for new records
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ReadLogsRequest, job_id, from_index, rank, tail,
                                                max_records, wait_ms)

struct ReadLogsReply {
  static constexpr std::string_view kType = "read_logs_reply";
  Blob records;  // log_records.h: PackLogRecords format
  uint64_t next_index = 0;
  std::string state;      // the job's state now
  bool complete = false;  // the job is terminal and every record up to next_index was returned
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ReadLogsReply, records, next_index, state,
                                                complete)

struct ListNodesRequest {
  static constexpr std::string_view kType = "list_nodes";
};
inline void to_json(nlohmann::json& j, const ListNodesRequest&) { j = nlohmann::json::object(); }
inline void from_json(const nlohmann::json&, ListNodesRequest&) {}

struct ListNodesReply {
  static constexpr std::string_view kType = "list_nodes_reply";
  std::vector<NodeInfo> nodes;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ListNodesReply, nodes)

// ------------------------------------------------------- agent -> controller

struct RegisterNodeRequest {
  static constexpr std::string_view kType = "register_node";
  NodeInfo node;  // id, hostname, address, pool, labels, cpus, memory_bytes, gpus
  std::vector<RunningRank> running;  // ranks still running from before (reconcile)
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(RegisterNodeRequest, node, running)

struct RegisterNodeReply {
  static constexpr std::string_view kType = "register_node_reply";
  int heartbeat_interval_ms = 1000;
  std::vector<AttemptRef> stop;  // attempts the agent must stop: the controller no longer runs them
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(RegisterNodeReply, heartbeat_interval_ms, stop)

struct HeartbeatRequest {
  static constexpr std::string_view kType = "heartbeat";
  std::string node_id;
  std::vector<RunningRank> running;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(HeartbeatRequest, node_id, running)

struct HeartbeatReply {
  static constexpr std::string_view kType = "heartbeat_reply";
  bool registered = true;        // false: the controller does not know this node; register again
  std::vector<AttemptRef> stop;  // orphaned attempts to stop
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(HeartbeatReply, registered, stop)

// A rank's lifecycle event. Replied with OkReply once stored.
struct RankEventRequest {
  static constexpr std::string_view kType = "rank_event";
  std::string node_id;
  std::string job_id;
  int attempt = 0;
  int rank = -1;        // -1: the node's whole part of the attempt (e.g. prepare_failed)
  std::string event;    // started | exited | prepare_failed
  int exit_code = 0;
  int signal = 0;
  std::string message;  // human-readable detail
  // exited: the agent itself stopped this rank (fail-fast after another rank
  // failed, or stop_attempt). Such an exit is a consequence, never the reason
  // an attempt fails.
  bool stopped = false;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(RankEventRequest, node_id, job_id, attempt, rank,
                                                event, exit_code, signal, message, stopped)

// A batch of consecutive log lines of one rank: lines first_seq, first_seq+1...
// `lines` is in log_records.h PackLines format.
struct LogBatchRequest {
  static constexpr std::string_view kType = "log_batch";
  std::string node_id;
  std::string job_id;
  int attempt = 0;
  int rank = 0;
  uint64_t first_seq = 0;
  Blob lines;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(LogBatchRequest, node_id, job_id, attempt, rank,
                                                first_seq, lines)

// Every line of (job, attempt, rank) with seq < next_seq is stored; lines
// already stored are dropped, so resending is always safe.
struct LogBatchReply {
  static constexpr std::string_view kType = "log_batch_reply";
  uint64_t next_seq = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(LogBatchReply, next_seq)

// ------------------------------------------------ controller -> agent (push)

// The node's part of one attempt of a job.
struct StartAttemptCommand {
  static constexpr std::string_view kType = "start_attempt";
  std::string job_id;
  int attempt = 1;
  JobSpec spec;
  Blob code_archive;              // tar.gz; empty when the job has no code
  int node_rank = 0;              // NODE_RANK / GROUP_RANK
  int num_nodes = 1;
  int world_size = 1;             // WORLD_SIZE
  int local_world_size = 1;       // LOCAL_WORLD_SIZE
  std::vector<int> ranks;         // global ranks to start here, by local rank
  std::vector<std::vector<int>> gpus;  // GPU indices per local rank (CUDA_VISIBLE_DEVICES)
  std::string master_addr;        // rank 0's node
  int master_port = 0;            // reserved on rank 0's node
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(StartAttemptCommand, job_id, attempt, spec,
                                                code_archive, node_rank, num_nodes, world_size,
                                                local_world_size, ranks, gpus, master_addr,
                                                master_port)

// Stop every rank of the attempt on this node: SIGTERM to each process group,
// SIGKILL after grace_ms.
struct StopAttemptCommand {
  static constexpr std::string_view kType = "stop_attempt";
  std::string job_id;
  int attempt = 0;
  std::string reason;
  int grace_ms = 10000;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(StopAttemptCommand, job_id, attempt, reason,
                                                grace_ms)

// ------------------------------------------------------------ pools (client)

// A node of a pool as the autoscaler sees it.
struct PoolNodeInfo {
  std::string id;
  std::string state;  // READY | LOST | PROVISIONING | DELETING
  bool busy = false;  // runs at least one rank
  int running_ranks = 0;
  int64_t idle_ms = 0;  // READY and not busy: time since its last rank ended (or it registered)
  bool managed = false;  // created by the pool's provider (only those are removed when idle)
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(PoolNodeInfo, id, state, busy, running_ranks,
                                                idle_ms, managed)

struct PoolInfo {
  std::string name;
  bool configured = false;  // from the controller's config; false: only agents' --pool
  std::string provider;     // local | command | "" (not configured)
  int min_nodes = 0;
  int max_nodes = 0;        // 0 when not configured (no bound)
  int64_t idle_timeout_ms = 0;
  int64_t provision_timeout_ms = 0;
  int ready = 0;
  int busy = 0;
  int provisioning = 0;  // nodes asked for that have not registered yet
  int waiting_jobs = 0;  // QUEUED or SCALING jobs naming the pool
  std::vector<PoolNodeInfo> nodes;
  std::vector<std::string> events;  // recent scaling events, oldest first
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(PoolInfo, name, configured, provider, min_nodes,
                                                max_nodes, idle_timeout_ms, provision_timeout_ms,
                                                ready, busy, provisioning, waiting_jobs, nodes,
                                                events)

struct ListPoolsRequest {
  static constexpr std::string_view kType = "list_pools";
};
inline void to_json(nlohmann::json& j, const ListPoolsRequest&) { j = nlohmann::json::object(); }
inline void from_json(const nlohmann::json&, ListPoolsRequest&) {}

struct ListPoolsReply {
  static constexpr std::string_view kType = "list_pools_reply";
  std::vector<PoolInfo> pools;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ListPoolsReply, pools)
// ------------------------------------------------- outputs and model registry
//
// Outputs: when its part of an attempt has ended, an agent asks which blobs
// the controller lacks (outputs_missing), streams those in chunks
// (blob_chunk, a window of a few in flight, each acknowledged), then commits
// its manifest (outputs_commit). Clients list a job's outputs (list_outputs)
// and read blobs by range (read_blob). docs/outputs.md describes the flows.

// One file of a job's outputs. `path` is relative to the job's outputs:
// global rank 0's files at the top, rank N's under "rank-N/".
struct OutputFile {
  std::string path;
  int64_t size = 0;
  std::string sha256;  // lowercase hex
  uint32_t mode = 0644;  // permission bits
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(OutputFile, path, size, sha256, mode)

struct BlobRef {
  std::string sha256;
  int64_t size = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(BlobRef, sha256, size)

// A blob the controller lacks; `offset` bytes of it are already held (a
// resumed upload sends from there).
struct BlobWant {
  std::string sha256;
  int64_t offset = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(BlobWant, sha256, offset)

// Agent -> controller: which of these blobs must be sent?
struct OutputsMissingRequest {
  static constexpr std::string_view kType = "outputs_missing";
  std::string node_id;
  std::string job_id;
  std::vector<BlobRef> blobs;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(OutputsMissingRequest, node_id, job_id, blobs)

struct OutputsMissingReply {
  static constexpr std::string_view kType = "outputs_missing_reply";
  std::vector<BlobWant> missing;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(OutputsMissingReply, missing)

// Agent -> controller: bytes [offset, offset + data.size()) of blob `sha256`
// of `size` bytes in all. Chunks of one blob are sent in order; the chunk
// that completes the blob makes the controller check the digest and store
// the blob (a mismatch discards it: INVALID_ARGUMENT).
struct BlobChunkRequest {
  static constexpr std::string_view kType = "blob_chunk";
  std::string node_id;
  std::string job_id;
  std::string sha256;
  int64_t size = 0;
  int64_t offset = 0;
  Blob data;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(BlobChunkRequest, node_id, job_id, sha256, size,
                                                offset, data)

// next_offset: the bytes the controller now holds (the sender rewinds to it
// when it differs from what it sent); stored: the blob is complete and checked.
struct BlobChunkReply {
  static constexpr std::string_view kType = "blob_chunk_reply";
  int64_t next_offset = 0;
  bool stored = false;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(BlobChunkReply, next_offset, stored)

// Agent -> controller: this node's outputs of the attempt, every blob
// stored. With `error` set, the node could not upload them (the job's
// outputs become "failed: ERROR"). Replied with OkReply once stored.
struct OutputsCommitRequest {
  static constexpr std::string_view kType = "outputs_commit";
  std::string node_id;
  std::string job_id;
  int attempt = 0;
  int node_rank = 0;
  int num_nodes = 1;
  std::vector<OutputFile> files;
  std::string error;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(OutputsCommitRequest, node_id, job_id, attempt,
                                                node_rank, num_nodes, files, error)

// Client -> controller: a job's outputs. attempt 0: the latest attempt that
// ran.
struct ListOutputsRequest {
  static constexpr std::string_view kType = "list_outputs";
  std::string job_id;
  int attempt = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ListOutputsRequest, job_id, attempt)

// status: "pending" (the attempt still runs), "uploading", "ready",
// "failed" (reason says why) or "none" (no attempt ran).
struct ListOutputsReply {
  static constexpr std::string_view kType = "list_outputs_reply";
  std::string job_id;
  int attempt = 0;
  std::string status;
  std::string reason;
  int nodes = 0;            // nodes of the attempt
  int nodes_committed = 0;  // nodes whose outputs are stored
  std::vector<OutputFile> files;  // sorted by path; complete only when ready
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ListOutputsReply, job_id, attempt, status, reason,
                                                nodes, nodes_committed, files)

// Client -> controller: bytes [offset, offset + length) of a stored blob
// (fewer at its end). length is capped at 8 MiB.
struct ReadBlobRequest {
  static constexpr std::string_view kType = "read_blob";
  std::string sha256;
  int64_t offset = 0;
  int64_t length = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ReadBlobRequest, sha256, offset, length)

struct ReadBlobReply {
  static constexpr std::string_view kType = "read_blob_reply";
  int64_t size = 0;  // the whole blob's size
  Blob data;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ReadBlobReply, size, data)

// A registered model version: a file or folder of one job's outputs. Its
// files refer to the job's blobs (nothing is copied).
struct ModelVersion {
  std::string name;
  int version = 0;
  std::string job_id;
  int attempt = 0;
  std::string path;  // relative to the job's outputs
  std::string description;
  std::map<std::string, std::string> tags;
  int64_t created_ms = 0;
  int64_t size = 0;               // bytes of every file
  std::vector<OutputFile> files;  // paths relative to the job's outputs
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ModelVersion, name, version, job_id, attempt,
                                                path, description, tags, created_ms, size, files)

struct RegisterModelRequest {
  static constexpr std::string_view kType = "register_model";
  std::string name;
  std::string job_id;
  std::string path;  // "model.safetensors" or "outputs/model.safetensors"; a file or a folder
  std::map<std::string, std::string> tags;
  std::string description;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(RegisterModelRequest, name, job_id, path, tags,
                                                description)

struct RegisterModelReply {
  static constexpr std::string_view kType = "register_model_reply";
  ModelVersion model;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(RegisterModelReply, model)

// Every model's latest version (files omitted), by name.
struct ListModelsRequest {
  static constexpr std::string_view kType = "list_models";
};
inline void to_json(nlohmann::json& j, const ListModelsRequest&) { j = nlohmann::json::object(); }
inline void from_json(const nlohmann::json&, ListModelsRequest&) {}

struct ModelSummary {
  std::string name;
  int latest_version = 0;
  int versions = 0;
  int64_t updated_ms = 0;
  std::string description;  // of the latest version
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ModelSummary, name, latest_version, versions,
                                                updated_ms, description)

struct ListModelsReply {
  static constexpr std::string_view kType = "list_models_reply";
  std::vector<ModelSummary> models;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ListModelsReply, models)

// One version (version 0: the latest) with its files, and the numbers of
// every version of the model.
struct GetModelRequest {
  static constexpr std::string_view kType = "get_model";
  std::string name;
  int version = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(GetModelRequest, name, version)

struct GetModelReply {
  static constexpr std::string_view kType = "get_model_reply";
  ModelVersion model;
  std::vector<int> versions;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(GetModelReply, model, versions)

}  // namespace jobctl::protocol
