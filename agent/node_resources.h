// What this node is and offers: hostname, the address other nodes reach it
// at, CPUs, memory and GPUs (nvidia-smi when present; none otherwise).
//
// Thread-safety: free functions; DiscoverGpus runs a child process and
// blocks until it ends (call it once at start-up).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/protocol/messages.h"
#include "common/status.h"

namespace jobctl::agent {

std::string Hostname();
// CPUs the machine has (hardware_concurrency, at least 1).
double DetectCpus();
// MemTotal of /proc/meminfo in bytes; 0 when unreadable.
int64_t DetectMemoryBytes();

// The local IP address of the route to `controller_endpoint` (tcp://HOST:PORT):
// found by connecting a UDP socket to the host (no packet is sent).
Result<std::string> LocalAddressTowards(const std::string& controller_endpoint);

// Parses `nvidia-smi --query-gpu=index,name,memory.total
// --format=csv,noheader,nounits` output (memory in MiB).
Result<std::vector<protocol::GpuInfo>> ParseNvidiaSmi(const std::string& csv);
// Runs nvidia-smi when it is on PATH; no GPUs when it is absent or fails.
std::vector<protocol::GpuInfo> DiscoverGpus();
// N fake GPUs, indices 0..N-1 (--gpus N).
std::vector<protocol::GpuInfo> FakeGpus(int n);

// The node id: `flag` when set (and persisted), else the one persisted in
// `id_file`, else the hostname (persisted).
Result<std::string> ResolveNodeId(const std::string& flag, const std::string& id_file);

}  // namespace jobctl::agent
