// MemoryMetricStore: a MetricStore in memory, for tests and `--store memory`.
// Commit keeps the open batch; Rollback drops it.
//
// Thread-safety: not thread-safe.
#pragma once

#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "controller/metric_store.h"

namespace jobctl::controller {

class MemoryMetricStore final : public MetricStore {
 public:
  Result<uint64_t> Append(const std::string& job_id, int attempt, int rank, uint64_t first_seq,
                          const std::vector<protocol::MetricPoint>& points) override;
  Status Commit() override;
  void Rollback() override;
  Result<std::vector<protocol::MetricPointInfo>> Read(const std::string& job_id,
                                                      const std::string& name) override;

 private:
  using Key = std::tuple<std::string, int, int>;  // job, attempt, rank
  struct Stored {
    std::vector<protocol::MetricPoint> points;  // index == seq
  };
  std::map<Key, Stored> committed_;
  std::map<Key, std::vector<protocol::MetricPoint>> pending_;  // appended after committed_
};

}  // namespace jobctl::controller
