#include "cli/log_stream.h"

#include <charconv>
#include <thread>

#include "common/protocol/messages.h"

namespace jobctl::cli {

void AppendLogLine(std::string& buf, const protocol::LogRecord& record, bool prefix) {
  if (prefix) {
    char num[16];
    auto [end, ec] = std::to_chars(num, num + sizeof(num), record.rank);
    (void)ec;
    buf.append("[rank ", 6);
    buf.append(num, static_cast<size_t>(end - num));
    buf.append("] ", 2);
  }
  buf.append(record.line);
  buf.push_back('\n');
}

namespace {

Status WriteAll(FILE* out, const std::string& buf) {
  if (buf.empty()) return Status::Ok();
  if (std::fwrite(buf.data(), 1, buf.size(), out) != buf.size() || std::fflush(out) != 0) {
    return InternalError("cannot write the log to the output");
  }
  return Status::Ok();
}

}  // namespace

Result<LogStreamResult> StreamLogs(ControllerClient& client, const LogStreamOptions& options,
                                   FILE* out, FILE* err) {
  LogStreamResult result;
  protocol::ReadLogsRequest request;
  request.job_id = options.job_id;
  request.rank = options.rank;
  request.tail = options.tail;
  request.from_index = 0;
  // Up to ~6 MB per reply (the controller caps a reply at 16 MiB): fewer
  // round trips when following a fast log.
  request.max_records = 50000;
  int64_t last_attempt = -1;
  std::string buf;
  bool lost = false;
  // Only a controller that answered once is waited for: with none at all the
  // command fails at once (exit 3), as every other command does.
  bool answered_once = false;
  auto lost_since = std::chrono::steady_clock::now();

  while (true) {
    request.wait_ms = options.follow ? options.wait_ms : 0;
    auto reply = client.Call<protocol::ReadLogsReply>(
        request, std::chrono::milliseconds(request.wait_ms));
    if (!reply.ok()) {
      if (!options.follow || !answered_once ||
          !ControllerClient::IsUnreachable(reply.status())) {
        return reply.status();
      }
      auto now = std::chrono::steady_clock::now();
      if (!lost) {
        lost = true;
        lost_since = now;
        std::fprintf(err,
                     "jobctl: lost the controller at %s (%s); retrying for up to %lld s\n",
                     client.endpoint().c_str(), reply.status().message().c_str(),
                     static_cast<long long>(options.reconnect_timeout.count() / 1000));
        std::fflush(err);
      }
      if (now - lost_since >= options.reconnect_timeout) {
        return UnavailableError(reply.status().message() + " (gave up after " +
                                std::to_string(options.reconnect_timeout.count() / 1000) + " s)");
      }
      // Pause between attempts; an unreachable tcp:// endpoint fails fast in the probe.
      std::this_thread::sleep_for(options.retry_interval);
      continue;
    }
    answered_once = true;
    if (lost) {
      lost = false;
      std::fprintf(err, "jobctl: reconnected to the controller at %s\n", client.endpoint().c_str());
      std::fflush(err);
    }
    auto records = protocol::UnpackRecords(reply->records.data);
    if (!records.ok()) return records.status().WithContext("log records from the controller");
    buf.clear();
    for (const auto& record : *records) {
      if (options.attempt_markers && static_cast<int64_t>(record.attempt) != last_attempt) {
        if (last_attempt != -1 || record.attempt > 1) {
          JOBCTL_RETURN_IF_ERROR(WriteAll(out, buf));
          buf.clear();
          std::fprintf(err, "--- attempt %u ---\n", record.attempt);
          std::fflush(err);
        }
        last_attempt = record.attempt;
      }
      AppendLogLine(buf, record, options.prefix);
    }
    JOBCTL_RETURN_IF_ERROR(WriteAll(out, buf));
    result.lines += records->size();
    result.state = reply->state;
    result.complete = reply->complete;
    result.next_index = reply->next_index;
    // Continue after what was returned, from the index the controller gave.
    request.tail = -1;
    request.from_index = reply->next_index;
    if (reply->complete) break;
    if (!options.follow && records->empty()) break;
    if (!options.follow && options.tail >= 0) break;
  }
  return result;
}

}  // namespace jobctl::cli
