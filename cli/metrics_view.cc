#include "cli/metrics_view.h"

#include <cstdio>
#include <map>
#include <set>

#include "cli/output.h"

namespace jobctl::cli {

nlohmann::json MetricPointsJson(const std::string& job_id, const std::string& state,
                                const std::vector<protocol::MetricPointInfo>& points) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& p : points) {
    arr.push_back({{"name", p.name},
                   {"attempt", p.attempt},
                   {"rank", p.rank},
                   {"step", p.step},
                   {"value", p.value},
                   {"time_ms", p.time_ms},
                   {"time", FormatIsoTime(p.time_ms)}});
  }
  return {{"job_id", job_id}, {"state", state}, {"points", std::move(arr)}};
}

std::string MetricPointsCsv(const std::vector<protocol::MetricPointInfo>& points) {
  std::string out = "name,attempt,rank,step,value,time_ms\n";
  char buf[64];
  for (const auto& p : points) {
    std::snprintf(buf, sizeof(buf), "%.17g", p.value);
    out += p.name + "," + std::to_string(p.attempt) + "," + std::to_string(p.rank) + "," +
           std::to_string(p.step) + "," + buf + "," + std::to_string(p.time_ms) + "\n";
  }
  return out;
}

std::string FormatMetricCharts(const std::vector<protocol::MetricPointInfo>& points, int width,
                               int height, ChartStyle style) {
  if (points.empty()) return "no metrics recorded (yet)\n";
  std::map<std::string, std::vector<const protocol::MetricPointInfo*>> by_name;
  for (const auto& p : points) by_name[p.name].push_back(&p);
  std::string out;
  for (const auto& [name, list] : by_name) {
    int attempt = 0;
    for (const auto* p : list) attempt = std::max(attempt, p->attempt);
    std::map<int, ChartSeries> by_rank;
    for (const auto* p : list) {
      if (p->attempt != attempt) continue;
      auto& s = by_rank[p->rank];
      s.label = "rank " + std::to_string(p->rank);
      s.points.emplace_back(static_cast<double>(p->step), p->value);
    }
    size_t count = by_rank.begin()->second.points.size();
    // The last point of the lowest rank (Read order: by step within a rank).
    const protocol::MetricPointInfo* last = nullptr;
    for (const auto* p : list) {
      if (p->attempt == attempt && p->rank == by_rank.begin()->first) last = p;
    }
    std::vector<ChartSeries> series;
    for (auto& [rank, s] : by_rank) series.push_back(std::move(s));
    if (series.size() == 1) series[0].label.clear();
    out += name + "  last " + FormatMetricValue(last->value) + " at step " +
           std::to_string(last->step) + " (rank " + std::to_string(last->rank) + ", attempt " +
           std::to_string(attempt) + ", " + std::to_string(count) + " points)\n";
    out += RenderChart(series, width, height, style);
    out += "\n";
  }
  return out;
}

ChartSeries JobSeries(const std::string& label,
                      const std::vector<protocol::MetricPointInfo>& points,
                      const std::string& name) {
  int attempt = 0, rank = -1;
  for (const auto& p : points) {
    if (p.name != name) continue;
    if (p.attempt > attempt) {
      attempt = p.attempt;
      rank = p.rank;
    } else if (p.attempt == attempt && (rank < 0 || p.rank < rank)) {
      rank = p.rank;
    }
  }
  ChartSeries s;
  s.label = label;
  for (const auto& p : points) {
    if (p.name == name && p.attempt == attempt && p.rank == rank) {
      s.points.emplace_back(static_cast<double>(p.step), p.value);
    }
  }
  return s;
}

namespace {

std::set<std::string> MetricNames(const std::vector<protocol::JobMetricSummary>& metrics) {
  std::set<std::string> names;
  for (const auto& m : metrics) {
    for (const auto& [name, p] : m.last) names.insert(name);
  }
  return names;
}

const protocol::JobMetricSummary* Find(const std::vector<protocol::JobMetricSummary>& metrics,
                                       const std::string& id) {
  for (const auto& m : metrics) {
    if (m.job_id == id) return &m;
  }
  return nullptr;
}

}  // namespace

std::string FormatExperimentTable(const std::vector<protocol::JobSummary>& jobs,
                                  const std::vector<protocol::JobMetricSummary>& metrics) {
  auto names = MetricNames(metrics);
  std::vector<std::string> header = {"ID", "NAME", "STATE"};
  header.insert(header.end(), names.begin(), names.end());
  std::vector<std::vector<std::string>> rows;
  for (const auto& job : jobs) {
    std::vector<std::string> row = {job.id, job.display_name.empty() ? job.name : job.display_name,
                                    job.state};
    const auto* m = Find(metrics, job.id);
    for (const auto& name : names) {
      std::string cell = "-";
      if (m != nullptr) {
        auto it = m->last.find(name);
        if (it != m->last.end()) cell = FormatMetricValue(it->second.value);
      }
      row.push_back(cell);
    }
    rows.push_back(std::move(row));
  }
  return RenderTable(header, rows);
}

nlohmann::json ExperimentJson(const std::vector<protocol::JobSummary>& jobs,
                              const std::vector<protocol::JobMetricSummary>& metrics) {
  nlohmann::json out = JobsJson(jobs);
  for (auto& j : out) {
    nlohmann::json m = nlohmann::json::object();
    if (const auto* s = Find(metrics, j.value("id", std::string()))) {
      for (const auto& [name, p] : s->last) {
        m[name] = {{"value", p.value}, {"step", p.step}, {"rank", p.rank}, {"attempt", p.attempt}};
      }
    }
    j["metrics"] = std::move(m);
  }
  return out;
}

}  // namespace jobctl::cli
