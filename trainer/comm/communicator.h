// Communicator: the collectives a data-parallel trainer needs, over Gloo
// (CPU tensors, TCP) or NCCL (GPU tensors).
//
// All ranks must call the same collectives in the same order with the same
// counts. Every collective and the rendezvous are bounded by the timeout of
// RendezvousConfig: a dead peer returns kDeadlineExceeded or kUnavailable,
// never a hang.
//
// Memory: GlooCommunicator and LocalCommunicator take host pointers;
// NcclCommunicator takes device pointers (MemoryKind tells which).
//
// Thread-safety: not thread-safe; one thread drives a communicator.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "common/status.h"

namespace jobctl::trainer {

enum class MemoryKind { kHost, kDevice };

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int world_size() const = 0;
  virtual MemoryKind memory_kind() const = 0;
  // In place: data[i] = mean over ranks of data[i].
  virtual Status AllReduceAverage(float* data, size_t count) = 0;
  // In place: every rank ends with root's data.
  virtual Status Broadcast(float* data, size_t count, int root) = 0;
  virtual Status Barrier() = 0;
};

// What a rank knows about its job, as torchrun sets it.
struct RendezvousConfig {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 0;
  std::chrono::milliseconds timeout{60'000};
};

// Reads RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT. Without them
// (no RANK and no WORLD_SIZE) it is world size 1. Inconsistent or malformed
// values are kInvalidArgument naming the variable.
Result<RendezvousConfig> RendezvousFromEnvironment();

// World size 1: every collective is a no-op; opens no socket.
std::unique_ptr<Communicator> CreateLocalCommunicator(MemoryKind kind = MemoryKind::kHost);

}  // namespace jobctl::trainer
