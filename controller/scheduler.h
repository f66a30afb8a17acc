// Scheduler: gang placement of queued jobs onto nodes. Pure logic, no I/O.
//
// Jobs are taken by priority (higher first), then age (lower `order` first).
// A job of N nodes is placed on N distinct nodes at once or not at all; each
// node must be ready, in the job's pool (empty pool: any), and have the free
// GPUs, CPUs and memory the job asks per node. A job that does not fit is
// skipped, so smaller later jobs still run (backfill; no starvation guard).
// Each job left pending gets a reason naming what it needs and what is free.
//
// Ranks: node rank k holds global ranks k*ppn .. k*ppn+ppn-1. GPUs: the
// node's gpus_per_node free indices are split among its local ranks.
// MASTER_PORT: a port of the range that no live attempt uses on the rank-0
// node, searched round-robin from just after the last one given out, so a
// port a finished job used (its connections possibly still in TIME_WAIT) is
// not handed out again at once.
//
// Thread-safety: not thread-safe; Schedule() touches its arguments and the
// port cursor.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "controller/flags.h"

namespace jobctl::controller {

struct NodeCapacity {
  std::string id;
  std::string address;
  std::string pool;
  bool ready = true;
  std::vector<int> free_gpus;  // indices of GPUs no attempt holds
  double free_cpus = 0;
  int64_t free_memory_bytes = 0;
  std::vector<int> used_ports;  // rendezvous ports live attempts hold here
};

struct JobRequest {
  std::string job_id;
  int priority = 0;
  uint64_t order = 0;  // submission order: lower is older
  std::string pool;    // empty: any pool
  int nodes = 1;
  int processes_per_node = 1;
  int gpus_per_node = 0;
  double cpus_per_node = 0;
  int64_t memory_per_node_bytes = 0;
};

struct NodePlacement {
  std::string node_id;
  std::string address;
  std::vector<int> ranks;              // global ranks, by local rank
  std::vector<int> gpus;               // every GPU index held on this node
  std::vector<std::vector<int>> rank_gpus;  // GPU indices per local rank
  double cpus = 0;
  int64_t memory_bytes = 0;
};

struct JobPlacement {
  std::string job_id;
  std::vector<NodePlacement> nodes;  // by node rank
  std::string master_addr;
  int master_port = 0;
};

struct ScheduleResult {
  std::vector<JobPlacement> placements;           // in the order they were made
  std::map<std::string, std::string> pending;     // job id -> why it is not placed
  std::vector<NodeCapacity> remaining;            // the nodes after these placements
};

class Scheduler {
 public:
  explicit Scheduler(PortRange ports) : ports_(ports) {}

  ScheduleResult Schedule(std::vector<JobRequest> queue, std::vector<NodeCapacity> nodes);

  // GPU indices per local rank: `gpus` split evenly among `local_ranks`; when
  // there are fewer GPUs than ranks, ranks share them round-robin.
  static std::vector<std::vector<int>> SplitGpus(const std::vector<int>& gpus, int local_ranks);

 private:
  PortRange ports_;
  int next_port_offset_ = 0;  // where the next MASTER_PORT search starts in ports_
};

}  // namespace jobctl::controller
