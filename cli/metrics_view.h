// Rendering of metric points for `jobctl metrics`, `jobctl compare` and
// `jobctl list --experiment`: charts per metric, JSON, CSV and the
// side-by-side table of final values.
//
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/chart.h"
#include "common/protocol/metric_messages.h"

namespace jobctl::cli {

// {"job_id", "state", "points": [{name, attempt, rank, step, value, time_ms, time}]}.
nlohmann::json MetricPointsJson(const std::string& job_id, const std::string& state,
                                const std::vector<protocol::MetricPointInfo>& points);
// "name,attempt,rank,step,value,time_ms" and one row per point.
std::string MetricPointsCsv(const std::vector<protocol::MetricPointInfo>& points);

// For each metric name (sorted): a title line with the last value, then a
// chart over steps with one series per rank of the latest attempt.
std::string FormatMetricCharts(const std::vector<protocol::MetricPointInfo>& points, int width,
                               int height, ChartStyle style);

// The series of one job for `compare`: `name`'s points of the latest
// attempt's lowest rank.
ChartSeries JobSeries(const std::string& label,
                      const std::vector<protocol::MetricPointInfo>& points,
                      const std::string& name);

// ID NAME STATE and one column per metric name with each job's final value.
std::string FormatExperimentTable(const std::vector<protocol::JobSummary>& jobs,
                                  const std::vector<protocol::JobMetricSummary>& metrics);
// The jobs' list JSON, each with "metrics": {name: {value, step, rank, attempt}}.
nlohmann::json ExperimentJson(const std::vector<protocol::JobSummary>& jobs,
                              const std::vector<protocol::JobMetricSummary>& metrics);

}  // namespace jobctl::cli
