#include "controller/request_limits.h"

#include <string>

#include "common/job_spec/spec_limits.h"
#include "common/protocol/limits.h"
#include "common/protocol/log_records.h"

namespace jobctl::controller {
namespace {

using protocol::LimitCheck;
namespace p = protocol;

void Name(LimitCheck& check, std::string_view field, const std::string& value) {
  check.String(field, value, p::kMaxNameBytes, "name_bytes");
}

void Ranks(LimitCheck& check, const std::vector<p::RunningRank>& running) {
  check.Count("running", running.size(), p::kMaxListItems, "list_items");
  for (const auto& r : running) {
    Name(check, "running.job_id", r.job_id);
    if (!check.ok()) return;
  }
}

void Tags(LimitCheck& check, std::string_view field,
          const std::map<std::string, std::string>& tags) {
  check.Count(field, tags.size(), p::kMaxMapEntries, "map_entries");
  for (const auto& [key, value] : tags) {
    check.String(std::string(field) + " key", key, p::kMaxNameBytes, "name_bytes")
        .String(std::string(field) + " value", value, p::kMaxTextBytes, "text_bytes");
    if (!check.ok()) return;
  }
}

// A PackLines buffer: its bytes, its line count and each line's size. An
// unpackable buffer is left to the handler (a malformed batch).
void PackedLines(LimitCheck& check, std::string_view field, const std::string& packed,
                 size_t max_bytes, std::string_view bytes_name, size_t max_lines,
                 std::string_view lines_name, size_t max_line, std::string_view line_name) {
  check.Bytes(field, packed.size(), max_bytes, bytes_name);
  if (!check.ok()) return;
  auto lines = p::UnpackLines(packed);
  if (!lines.ok()) return;
  check.Count(field, lines->size(), max_lines, lines_name);
  for (size_t i = 0; i < lines->size() && check.ok(); ++i) {
    check.Bytes(std::string(field) + "[" + std::to_string(i) + "]", (*lines)[i].size(), max_line,
                line_name);
  }
}

}  // namespace

void CheckRequestLimits(const p::SubmitJobRequest& r, LimitCheck& check) {
  check
      .Bytes("code_archive", r.code_archive.data.size(), p::kMaxCodeArchiveBytes,
             "code_archive_bytes")
      .String("spec_file", r.spec_file, p::kMaxPathBytes, "path_bytes");
  if (check.ok()) CheckJobSpecLimits(r.spec, "spec.", check);
}

void CheckRequestLimits(const p::ListJobsRequest& r, LimitCheck& check) {
  Name(check, "state", r.state);
  Name(check, "experiment", r.experiment);
}

void CheckRequestLimits(const p::GetJobRequest& r, LimitCheck& check) {
  Name(check, "job_id", r.job_id);
}

void CheckRequestLimits(const p::CancelJobRequest& r, LimitCheck& check) {
  Name(check, "job_id", r.job_id);
}

void CheckRequestLimits(const p::ReadLogsRequest& r, LimitCheck& check) {
  Name(check, "job_id", r.job_id);
  check.Count("max_records", r.max_records, p::kMaxReadRecords, "read_records");
}

void CheckRequestLimits(const p::RegisterNodeRequest& r, LimitCheck& check) {
  Name(check, "node.id", r.node.id);
  Name(check, "node.hostname", r.node.hostname);
  Name(check, "node.address", r.node.address);
  Name(check, "node.pool", r.node.pool);
  Tags(check, "node.labels", r.node.labels);
  check.Count("node.gpus", r.node.gpus.size(), p::kMaxMapEntries, "map_entries");
  for (const auto& gpu : r.node.gpus) Name(check, "node.gpus.name", gpu.name);
  Ranks(check, r.running);
}

void CheckRequestLimits(const p::HeartbeatRequest& r, LimitCheck& check) {
  Name(check, "node_id", r.node_id);
  Ranks(check, r.running);
}

void CheckRequestLimits(const p::RankEventRequest& r, LimitCheck& check) {
  Name(check, "node_id", r.node_id);
  Name(check, "job_id", r.job_id);
  Name(check, "event", r.event);
  check.String("message", r.message, p::kMaxTextBytes, "text_bytes");
}

void CheckRequestLimits(const p::LogBatchRequest& r, LimitCheck& check) {
  Name(check, "node_id", r.node_id);
  Name(check, "job_id", r.job_id);
  PackedLines(check, "lines", r.lines.data, p::kMaxLogBatchBytes, "log_batch_bytes",
              p::kMaxLogBatchLines, "log_batch_lines", p::kMaxLineBytes, "line_bytes");
}

void CheckRequestLimits(const p::MetricBatchRequest& r, LimitCheck& check) {
  Name(check, "node_id", r.node_id);
  Name(check, "job_id", r.job_id);
  PackedLines(check, "points", r.points.data, p::kMaxMetricBatchBytes, "metric_batch_bytes",
              p::kMaxMetricBatchPoints, "metric_batch_points", p::kMaxMetricRecordBytes,
              "metric_record_bytes");
}

void CheckRequestLimits(const p::ReadMetricsRequest& r, LimitCheck& check) {
  Name(check, "job_id", r.job_id);
  check.String("name", r.name, p::kMaxMetricNameBytes, "metric_name_bytes");
}

void CheckRequestLimits(const p::MetricSummaryRequest& r, LimitCheck& check) {
  check.Count("job_ids", r.job_ids.size(), p::kMaxListItems, "list_items");
  for (const auto& id : r.job_ids) {
    Name(check, "job_ids", id);
    if (!check.ok()) return;
  }
}

void CheckRequestLimits(const p::OutputsMissingRequest& r, LimitCheck& check) {
  Name(check, "node_id", r.node_id);
  Name(check, "job_id", r.job_id);
  check.Count("blobs", r.blobs.size(), p::kMaxListItems, "list_items");
  for (const auto& b : r.blobs) {
    Name(check, "blobs.sha256", b.sha256);
    if (!check.ok()) return;
  }
}

void CheckRequestLimits(const p::BlobChunkRequest& r, LimitCheck& check) {
  Name(check, "node_id", r.node_id);
  Name(check, "job_id", r.job_id);
  Name(check, "sha256", r.sha256);
}

void CheckRequestLimits(const p::OutputsCommitRequest& r, LimitCheck& check) {
  Name(check, "node_id", r.node_id);
  Name(check, "job_id", r.job_id);
  check.String("error", r.error, p::kMaxTextBytes, "text_bytes");
  check.Count("files", r.files.size(), p::kMaxListItems, "list_items");
  for (const auto& f : r.files) {
    check.String("files.path", f.path, p::kMaxPathBytes, "path_bytes");
    Name(check, "files.sha256", f.sha256);
    if (!check.ok()) return;
  }
}

void CheckRequestLimits(const p::ListOutputsRequest& r, LimitCheck& check) {
  Name(check, "job_id", r.job_id);
}

void CheckRequestLimits(const p::ReadBlobRequest& r, LimitCheck& check) {
  Name(check, "sha256", r.sha256);
}

void CheckRequestLimits(const p::RegisterModelRequest& r, LimitCheck& check) {
  Name(check, "name", r.name);
  Name(check, "job_id", r.job_id);
  check.String("path", r.path, p::kMaxPathBytes, "path_bytes")
      .String("description", r.description, p::kMaxTextBytes, "text_bytes");
  Tags(check, "tags", r.tags);
}

void CheckRequestLimits(const p::GetModelRequest& r, LimitCheck& check) {
  Name(check, "name", r.name);
}

// Every item counts, events and empty manifests together; each event as a
// rank_event of its own.
void CheckRequestLimits(const p::RankEventsRequest& r, LimitCheck& check) {
  Name(check, "node_id", r.node_id);
  check.Count("events + empty_outputs", r.events.size() + r.empty_outputs.size(),
              p::kMaxRankEventsItems, "rank_events_items");
  for (const auto& e : r.events) {
    if (!check.ok()) return;
    CheckRequestLimits(e, check);
  }
  for (const auto& o : r.empty_outputs) {
    if (!check.ok()) return;
    Name(check, "empty_outputs.job_id", o.job_id);
  }
}

}  // namespace jobctl::controller
