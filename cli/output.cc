#include "cli/output.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <sstream>

namespace jobctl::cli {

std::string FormatIsoTime(int64_t ms) {
  if (ms <= 0) return "-";
  time_t seconds = static_cast<time_t>(ms / 1000);
  tm utc{};
  gmtime_r(&seconds, &utc);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

std::string FormatDuration(int64_t ms) {
  if (ms < 0) ms = 0;
  int64_t s = ms / 1000;
  char buf[64];
  if (s < 60) {
    std::snprintf(buf, sizeof(buf), "%" PRId64 "s", s);
  } else if (s < 3600) {
    std::snprintf(buf, sizeof(buf), "%" PRId64 "m%02" PRId64 "s", s / 60, s % 60);
  } else if (s < 86400) {
    std::snprintf(buf, sizeof(buf), "%" PRId64 "h%02" PRId64 "m", s / 3600, (s % 3600) / 60);
  } else {
    std::snprintf(buf, sizeof(buf), "%" PRId64 "d%02" PRId64 "h", s / 86400, (s % 86400) / 3600);
  }
  return buf;
}

std::string FormatBytes(int64_t bytes) {
  if (bytes <= 0) return "0";
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 5) {
    value /= 1024;
    ++unit;
  }
  char buf[32];
  if (unit == 0 || value >= 100 || value == static_cast<int64_t>(value)) {
    std::snprintf(buf, sizeof(buf), "%.0f %s", value, kUnits[unit]);
  } else {
    std::snprintf(buf, sizeof(buf), "%.1f %s", value, kUnits[unit]);
  }
  return buf;
}

namespace {

// Trims a double to the shortest form: 4, 2.5, 0.25.
std::string FormatNumber(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

std::string OrDash(const std::string& s) { return s.empty() ? "-" : s; }

}  // namespace

std::string RenderTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths(header.size(), 0);
  for (size_t i = 0; i < header.size(); ++i) widths[i] = header[i].size();
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  std::string out;
  auto append_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < widths.size(); ++i) {
      const std::string cell = i < row.size() ? row[i] : "";
      line += cell;
      if (i + 1 < widths.size()) line += std::string(widths[i] - cell.size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line;
    out += '\n';
  };
  append_row(header);
  for (const auto& row : rows) append_row(row);
  return out;
}

std::string FormatJobsTable(const std::vector<protocol::JobSummary>& jobs) {
  std::vector<std::vector<std::string>> rows;
  rows.reserve(jobs.size());
  for (const auto& j : jobs) {
    rows.push_back({j.id, OrDash(j.name), j.state, std::to_string(j.attempt),
                    OrDash(j.experiment),
                    std::to_string(j.nodes) + "x" + std::to_string(j.processes_per_node),
                    FormatIsoTime(j.created_ms)});
  }
  return RenderTable({"ID", "NAME", "STATE", "ATTEMPT", "EXPERIMENT", "NODESxPROCS", "CREATED"},
                     rows);
}

std::string FormatJobDetail(const protocol::JobDetail& job) {
  const auto& s = job.summary;
  std::ostringstream out;
  auto field = [&](const char* name, const std::string& value) {
    char label[24];
    std::snprintf(label, sizeof(label), "%-12s", name);
    // Continuation lines of a multi-line value are indented under the first.
    std::string text = value;
    while (!text.empty() && text.back() == '\n') text.pop_back();
    std::string indented;
    for (char c : text) {
      indented += c;
      if (c == '\n') indented += std::string(12, ' ');
    }
    out << label << indented << "\n";
  };
  field("id:", s.id);
  field("name:", OrDash(s.name));
  if (!s.display_name.empty()) field("display:", s.display_name);
  field("state:", s.state);
  field("attempt:", std::to_string(s.attempt));
  field("experiment:", OrDash(s.experiment));
  field("owner:", OrDash(s.owner));
  field("priority:", std::to_string(s.priority));
  field("created:", FormatIsoTime(s.created_ms));
  field("updated:", FormatIsoTime(s.updated_ms));
  field("size:", std::to_string(s.nodes) + " node(s) x " + std::to_string(s.processes_per_node) +
                     " process(es)");
  if (!job.spec.command.empty()) field("command:", job.spec.command);
  if (!job.pending_reason.empty() && (s.state == "QUEUED" || s.state == "SCALING")) {
    field("pending:", job.pending_reason);
  }
  if (!job.end_reason.empty()) field("end reason:", job.end_reason);
  if (!job.master_addr.empty() || job.master_port != 0) {
    field("master:", OrDash(job.master_addr) + ":" + std::to_string(job.master_port));
  }
  if (!job.nodes.empty()) {
    out << "nodes:\n";
    for (size_t i = 0; i < job.nodes.size(); ++i) {
      out << "  node rank " << i << ": " << job.nodes[i] << "\n";
    }
  }
  if (!job.ranks.empty()) {
    out << "ranks:\n";
    std::vector<std::vector<std::string>> rows;
    for (const auto& r : job.ranks) {
      std::string exit = "-";
      if (r.state == "exited") {
        exit = r.signal != 0 ? "signal " + std::to_string(r.signal) : std::to_string(r.exit_code);
      }
      rows.push_back({std::to_string(r.rank), OrDash(r.node_id), OrDash(r.state), exit});
    }
    std::istringstream table(RenderTable({"RANK", "NODE", "STATE", "EXIT"}, rows));
    for (std::string line; std::getline(table, line);) out << "  " << line << "\n";
  }
  if (!job.transitions.empty()) {
    out << "transitions:\n";
    std::vector<std::vector<std::string>> rows;
    for (const auto& t : job.transitions) {
      rows.push_back({FormatIsoTime(t.time_ms), OrDash(t.from) + " -> " + t.to,
                      std::to_string(t.attempt), OrDash(t.reason)});
    }
    std::istringstream table(RenderTable({"TIME", "TRANSITION", "ATTEMPT", "REASON"}, rows));
    for (std::string line; std::getline(table, line);) out << "  " << line << "\n";
  }
  return out.str();
}

std::string FormatNodesTable(const std::vector<protocol::NodeInfo>& nodes, int64_t now_ms) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& n : nodes) {
    std::string heartbeat =
        n.last_heartbeat_ms > 0 ? FormatDuration(now_ms - n.last_heartbeat_ms) + " ago" : "-";
    rows.push_back({n.id, OrDash(n.pool), n.state, FormatNumber(n.cpus),
                    FormatNumber(n.free_cpus), std::to_string(n.gpus.size()),
                    std::to_string(n.free_gpus), FormatBytes(n.memory_bytes),
                    std::to_string(n.running_ranks), heartbeat});
  }
  return RenderTable({"ID", "POOL", "STATE", "CPUS", "FREE CPUS", "GPUS", "FREE GPUS", "MEMORY",
                      "RANKS", "HEARTBEAT"},
                     rows);
}

nlohmann::json JobSummaryJson(const protocol::JobSummary& job) {
  nlohmann::json j = job;
  j["created"] = FormatIsoTime(job.created_ms);
  j["updated"] = FormatIsoTime(job.updated_ms);
  return j;
}

nlohmann::json JobsJson(const std::vector<protocol::JobSummary>& jobs) {
  nlohmann::json array = nlohmann::json::array();
  for (const auto& job : jobs) array.push_back(JobSummaryJson(job));
  return array;
}

nlohmann::json JobDetailJson(const protocol::JobDetail& job) {
  nlohmann::json j = job;
  // Flatten the summary so `show -o json` has the same top-level keys as `list -o json`.
  const nlohmann::json summary = JobSummaryJson(job.summary);
  for (auto it = summary.begin(); it != summary.end(); ++it) j[it.key()] = it.value();
  j.erase("summary");
  for (auto& t : j["transitions"]) t["time"] = FormatIsoTime(t.value("time_ms", int64_t{0}));
  return j;
}

nlohmann::json NodesJson(const std::vector<protocol::NodeInfo>& nodes, int64_t now_ms) {
  nlohmann::json array = nlohmann::json::array();
  for (const auto& n : nodes) {
    nlohmann::json j = n;
    j["gpu_devices"] = j["gpus"];
    j["gpus"] = n.gpus.size();
    j["last_heartbeat"] = FormatIsoTime(n.last_heartbeat_ms);
    j["heartbeat_age_ms"] = n.last_heartbeat_ms > 0 ? now_ms - n.last_heartbeat_ms : -1;
    array.push_back(std::move(j));
  }
  return array;
}

std::string DumpJson(const nlohmann::json& value) {
  return value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace jobctl::cli
