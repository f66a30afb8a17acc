// Rendering of protocol replies for people (tables, `show`) and for programs
// (`-o json`).
//
// JSON: times are ISO-8601 UTC strings ("2026-11-21T01:02:03.456Z") in fields
// named created/updated/time/last_heartbeat, with the raw milliseconds beside
// them (*_ms). Strings that are not valid UTF-8 are written with U+FFFD in
// place of bad bytes; dumping never throws.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/protocol/messages.h"

namespace jobctl::cli {

// "2026-11-21T01:02:03.456Z"; "-" for 0.
std::string FormatIsoTime(int64_t ms);
// "5s", "3m12s", "2h05m", "4d03h"; for ages and durations.
std::string FormatDuration(int64_t ms);
// "1.5 GiB", "512 MiB", "0".
std::string FormatBytes(int64_t bytes);

// Lays out rows under a header, columns padded to their widest cell.
std::string RenderTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows);

std::string FormatJobsTable(const std::vector<protocol::JobSummary>& jobs);
// The human form of `jobctl show`; multi-line values are indented.
std::string FormatJobDetail(const protocol::JobDetail& job);
std::string FormatNodesTable(const std::vector<protocol::NodeInfo>& nodes, int64_t now_ms);

nlohmann::json JobSummaryJson(const protocol::JobSummary& job);
nlohmann::json JobsJson(const std::vector<protocol::JobSummary>& jobs);
nlohmann::json JobDetailJson(const protocol::JobDetail& job);
nlohmann::json NodesJson(const std::vector<protocol::NodeInfo>& nodes, int64_t now_ms);

// Pretty-prints with 2-space indent and a trailing newline, replacing
// invalid UTF-8 instead of throwing.
std::string DumpJson(const nlohmann::json& value);

}  // namespace jobctl::cli
