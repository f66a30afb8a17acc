// GlooCommunicator: collectives over host memory through Gloo's TCP
// transport (CPU training).
//
// Rendezvous: rank 0 serves a key-value store at MASTER_ADDR:MASTER_PORT;
// every rank publishes its pair addresses there and Gloo connects a full
// mesh. Every collective is bounded by config.timeout: a peer that died
// gives kUnavailable, one that stalls gives kDeadlineExceeded (the message
// names the peer when it is known), never a hang. After a failed collective
// the communicator is broken: later calls return kFailedPrecondition with
// the first error.
//
// AllReduceAverage uses gloo::allreduce (ring, pipelined 1 MiB segments;
// fastest of ring, ring-chunked, halving-doubling and this on 2.68 MB, 2
// ranks, loopback; see bench/bench_allreduce.cc) and caches its options per
// (pointer, count), so a training loop that reuses one gradient buffer sets
// nothing up per call. The cache is rank-local and carries no cross-rank
// state, so ranks need not agree on it.
//
// Thread-safety: not thread-safe (see Communicator).
#pragma once

#include <memory>

#include "common/status.h"
#include "trainer/comm/communicator.h"
#include "trainer/comm/rendezvous_store.h"

namespace jobctl::trainer {

// Joins the rendezvous described by `config` (rank 0 serves the store) and
// connects to every peer. World size 1 returns a local communicator.
Result<std::unique_ptr<Communicator>> CreateGlooCommunicator(const RendezvousConfig& config);

// Same, over a store the caller already holds (all ranks must share it);
// starts no server and ignores master_addr/master_port. For tests and
// embedders.
Result<std::unique_ptr<Communicator>> CreateGlooCommunicatorWithStore(
    const RendezvousConfig& config, std::shared_ptr<comm::RendezvousStore> store);

}  // namespace jobctl::trainer
