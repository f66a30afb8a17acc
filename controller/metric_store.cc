#include "controller/metric_store.h"

#include <tuple>

namespace jobctl::controller {

protocol::JobMetricSummary SummarizeMetrics(const std::string& job_id,
                                            const std::vector<protocol::MetricPointInfo>& points) {
  protocol::JobMetricSummary summary;
  summary.job_id = job_id;
  for (const auto& p : points) {
    auto it = summary.last.find(p.name);
    if (it == summary.last.end()) {
      summary.last.emplace(p.name, p);
      continue;
    }
    const auto& q = it->second;
    // Later attempt wins; within one, the lower rank; within one rank, the
    // later point (Read order puts it last).
    bool better = p.attempt > q.attempt || (p.attempt == q.attempt && p.rank <= q.rank);
    if (better) it->second = p;
  }
  return summary;
}

}  // namespace jobctl::controller
