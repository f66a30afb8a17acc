// RendezvousStore: the key-value store ranks use to find each other (Gloo's
// pair addresses, NCCL's unique id). Keys are written once; readers wait for
// them. Every call is bounded by its timeout.
//
// Thread-safety: implementations are thread-safe.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/status.h"

namespace jobctl::trainer::comm {

class RendezvousStore {
 public:
  virtual ~RendezvousStore() = default;

  // Sets `key` to `value` (overwrites) and wakes its waiters.
  virtual Status Set(const std::string& key, const std::string& value,
                     std::chrono::milliseconds timeout) = 0;

  // Waits until `key` exists and returns its value. kDeadlineExceeded naming
  // the key when it does not appear within `timeout`; kUnavailable when the
  // store cannot be reached.
  virtual Result<std::string> Get(const std::string& key, std::chrono::milliseconds timeout) = 0;

  // Waits until every key exists; one deadline for all of them.
  virtual Status Wait(const std::vector<std::string>& keys, std::chrono::milliseconds timeout) = 0;
};

}  // namespace jobctl::trainer::comm
