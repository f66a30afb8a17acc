// Writes the wire fuzzer's seed corpus: one encoded frame per message type,
// plus packed log lines and records. Run by hand when messages change:
//   build-fuzz/fuzz/make_corpus fuzz/corpus/wire
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/protocol/codec.h"
#include "common/protocol/event_messages.h"
#include "common/protocol/log_records.h"
#include "common/protocol/messages.h"
#include "common/protocol/stats_messages.h"

namespace {

using namespace jobctl::protocol;

void Write(const std::filesystem::path& dir, const std::string& name, const std::string& bytes) {
  std::ofstream(dir / name, std::ios::binary) << bytes;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_corpus DIR\n");
    return 2;
  }
  std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);

  Write(dir, "ping", Encode(PingRequest{}, 1));
  SubmitJobRequest submit;
  submit.spec.name = "fuzz";
  submit.spec.command = "echo hello";
  Write(dir, "submit_job", Encode(submit, 2));
  Write(dir, "get_job", Encode(GetJobRequest{"7"}, 3));
  ReadLogsRequest read;
  read.job_id = "7";
  Write(dir, "read_logs", Encode(read, 4));
  RegisterNodeRequest reg;
  reg.node.id = "node-1";
  reg.node.cpus = 2;
  Write(dir, "register_node", Encode(reg, 5));
  RankEventRequest event;
  event.node_id = "node-1";
  event.job_id = "7";
  event.attempt = 1;
  event.rank = 0;
  event.event = "exited";
  event.exit_code = 3;
  Write(dir, "rank_event", Encode(event, 6));
  RankEventsRequest events;
  events.node_id = "node-1";
  events.events.push_back(event);
  events.empty_outputs.push_back({"7", 1, 0, 1});
  Write(dir, "rank_events", Encode(events, 6));
  LogBatchRequest batch;
  batch.job_id = "7";
  batch.attempt = 1;
  std::string lines;
  AppendLine(lines, "hello");
  AppendLine(lines, "world");
  batch.lines.data = lines;
  Write(dir, "log_batch", Encode(batch, 7));
  StartAttemptCommand start;
  start.job_id = "7";
  start.ranks = {0, 1};
  start.gpus = {{0}, {1}};
  Write(dir, "start_attempt", Encode(start, 0));
  Write(dir, "stop_attempt", Encode(StopAttemptCommand{"7", 1, "cancelled", 1000}, 0));
  Write(dir, "error", EncodeError(jobctl::InvalidArgumentError("bad"), 8));
  Write(dir, "server_stats", Encode(ServerStatsRequest{}, 9));
  Write(dir, "lines", lines);
  std::string records;
  AppendRecord(records, 1, 0, 0, "hello");
  Write(dir, "records", records);
  return 0;
}
