#include "controller/memory_metric_store.h"

#include <algorithm>

namespace jobctl::controller {

Result<uint64_t> MemoryMetricStore::Append(const std::string& job_id, int attempt, int rank,
                                           uint64_t first_seq,
                                           const std::vector<protocol::MetricPoint>& points) {
  Key key{job_id, attempt, rank};
  auto& pending = pending_[key];
  uint64_t next = committed_[key].points.size() + pending.size();
  if (first_seq > next) return next;
  for (uint64_t i = next - first_seq; i < points.size(); ++i) pending.push_back(points[i]);
  return committed_[key].points.size() + pending.size();
}

Status MemoryMetricStore::Commit() {
  for (auto& [key, points] : pending_) {
    auto& stored = committed_[key].points;
    stored.insert(stored.end(), points.begin(), points.end());
  }
  pending_.clear();
  return Status::Ok();
}

void MemoryMetricStore::Rollback() { pending_.clear(); }

Result<std::vector<protocol::MetricPointInfo>> MemoryMetricStore::Read(const std::string& job_id,
                                                                       const std::string& name) {
  struct Row {
    protocol::MetricPointInfo info;
    uint64_t seq;
  };
  std::vector<Row> rows;
  auto collect = [&](const Key& key, const std::vector<protocol::MetricPoint>& points,
                     uint64_t first) {
    if (std::get<0>(key) != job_id) return;
    for (size_t i = 0; i < points.size(); ++i) {
      const auto& p = points[i];
      if (!name.empty() && p.name != name) continue;
      rows.push_back(
          Row{{std::get<1>(key), std::get<2>(key), p.name, p.step, p.value, p.time_ms}, first + i});
    }
  };
  for (const auto& [key, stored] : committed_) collect(key, stored.points, 0);
  for (const auto& [key, points] : pending_) {
    auto it = committed_.find(key);
    collect(key, points, it == committed_.end() ? 0 : it->second.points.size());
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return std::tie(a.info.name, a.info.attempt, a.info.rank, a.info.step, a.seq) <
           std::tie(b.info.name, b.info.attempt, b.info.rank, b.info.step, b.seq);
  });
  std::vector<protocol::MetricPointInfo> out;
  out.reserve(rows.size());
  for (auto& r : rows) out.push_back(std::move(r.info));
  return out;
}

}  // namespace jobctl::controller
