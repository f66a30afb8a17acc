#include "cli/output.h"

#include <gtest/gtest.h>

namespace jobctl::cli {
namespace {

constexpr int64_t kCreated = 1'763'686'923'456;  // 2025-11-21T01:02:03.456Z

protocol::JobDetail FixedJob() {
  protocol::JobDetail job;
  job.summary.id = "12";
  job.summary.name = "mnist";
  job.summary.experiment = "exp-a";
  job.summary.state = "FAILED";
  job.summary.attempt = 2;
  job.summary.owner = "alice";
  job.summary.created_ms = kCreated;
  job.summary.nodes = 2;
  job.summary.processes_per_node = 1;
  job.end_reason = "rank 1 on node local-2 exited with code 3";
  job.nodes = {"local-1", "local-2"};
  job.master_addr = "10.0.0.1";
  job.master_port = 29500;
  job.ranks = {{0, "local-1", "exited", 0, 0}, {1, "local-2", "exited", 3, 0}};
  job.transitions = {{"", "QUEUED", kCreated, 1, "submitted"},
                     {"QUEUED", "RUNNING", kCreated + 1000, 1, "placed"}};
  return job;
}

protocol::NodeInfo FixedNode() {
  protocol::NodeInfo node;
  node.id = "local-1";
  node.pool = "default";
  node.state = "READY";
  node.cpus = 8;
  node.free_cpus = 6.5;
  node.gpus = {{0, "H100", 80LL << 30}, {1, "H100", 80LL << 30}};
  node.free_gpus = 1;
  node.memory_bytes = 16LL << 30;
  node.running_ranks = 2;
  node.last_heartbeat_ms = kCreated;
  return node;
}

TEST(OutputTest, IsoTimeAndDurations) {
  EXPECT_EQ(FormatIsoTime(kCreated), "2025-11-21T01:02:03.456Z");
  EXPECT_EQ(FormatIsoTime(0), "-");
  EXPECT_EQ(FormatDuration(5'400), "5s");
  EXPECT_EQ(FormatDuration(192'000), "3m12s");
  EXPECT_EQ(FormatDuration(7'500'000), "2h05m");
  EXPECT_EQ(FormatBytes(16LL << 30), "16 GiB");
  EXPECT_EQ(FormatBytes(1536LL << 20), "1.5 GiB");
}

TEST(OutputTest, TableAlignsColumns) {
  std::string table = RenderTable({"A", "LONG"}, {{"xxxx", "1"}, {"y", "22"}});
  EXPECT_EQ(table, "A     LONG\nxxxx  1\ny     22\n");
}

TEST(OutputTest, JobsTable) {
  std::string table = FormatJobsTable({FixedJob().summary});
  EXPECT_EQ(table,
            "ID  NAME   STATE   ATTEMPT  EXPERIMENT  NODESxPROCS  CREATED\n"
            "12  mnist  FAILED  2        exp-a       2x1          2025-11-21T01:02:03.456Z\n");
}

TEST(OutputTest, JobDetailShowsEverything) {
  std::string text = FormatJobDetail(FixedJob());
  for (const char* want : {"id:         12", "state:      FAILED", "attempt:    2",
                           "owner:      alice", "experiment: exp-a",
                           "end reason: rank 1 on node local-2 exited with code 3",
                           "master:     10.0.0.1:29500", "node rank 1: local-2",
                           "QUEUED -> RUNNING", "placed", "2025-11-21T01:02:04.456Z"}) {
    EXPECT_NE(text.find(want), std::string::npos) << "missing '" << want << "' in:\n" << text;
  }
  // Rank 1's exit code appears in its row.
  EXPECT_NE(text.find("1     local-2  exited  3"), std::string::npos) << text;
  // No pending reason for an ended job.
  auto multi = FixedJob();
  multi.spec.command = "echo a\necho b\n";
  EXPECT_NE(FormatJobDetail(multi).find("command:    echo a\n            echo b\nend reason"),
            std::string::npos)
      << FormatJobDetail(multi);
  EXPECT_EQ(text.find("pending:"), std::string::npos);

  auto queued = FixedJob();
  queued.summary.state = "QUEUED";
  queued.pending_reason = "needs 2 nodes with 1 GPU, 1 ready";
  EXPECT_NE(FormatJobDetail(queued).find("pending:    needs 2 nodes"), std::string::npos);
}

TEST(OutputTest, NodesTable) {
  std::string table = FormatNodesTable({FixedNode()}, kCreated + 3'000);
  EXPECT_EQ(table,
            "ID       POOL     STATE  CPUS  FREE CPUS  GPUS  FREE GPUS  MEMORY  RANKS  HEARTBEAT\n"
            "local-1  default  READY  8     6.5        2     1          16 GiB  2      3s ago\n");
}

TEST(OutputTest, JobsJson) {
  auto json = JobsJson({FixedJob().summary});
  ASSERT_TRUE(json.is_array());
  ASSERT_EQ(json.size(), 1u);
  EXPECT_EQ(json[0]["id"], "12");
  EXPECT_EQ(json[0]["name"], "mnist");
  EXPECT_EQ(json[0]["state"], "FAILED");
  EXPECT_EQ(json[0]["experiment"], "exp-a");
  EXPECT_EQ(json[0]["attempt"], 2);
  EXPECT_EQ(json[0]["created"], "2025-11-21T01:02:03.456Z");
  EXPECT_EQ(json[0]["created_ms"], kCreated);
  EXPECT_TRUE(JobsJson({}).is_array());
}

TEST(OutputTest, JobDetailJsonIsFlat) {
  auto json = JobDetailJson(FixedJob());
  EXPECT_EQ(json["id"], "12");
  EXPECT_EQ(json["state"], "FAILED");
  EXPECT_FALSE(json.contains("summary"));
  EXPECT_EQ(json["ranks"][1]["exit_code"], 3);
  EXPECT_EQ(json["transitions"][0]["time"], "2025-11-21T01:02:03.456Z");
  EXPECT_EQ(json["master_port"], 29500);
}

TEST(OutputTest, NodesJsonCountsGpus) {
  auto json = NodesJson({FixedNode()}, kCreated + 3'000);
  ASSERT_EQ(json.size(), 1u);
  EXPECT_EQ(json[0]["id"], "local-1");
  EXPECT_EQ(json[0]["pool"], "default");
  EXPECT_EQ(json[0]["state"], "READY");
  EXPECT_EQ(json[0]["cpus"], 8.0);
  EXPECT_EQ(json[0]["gpus"], 2);
  EXPECT_EQ(json[0]["gpu_devices"].size(), 2u);
  EXPECT_EQ(json[0]["heartbeat_age_ms"], 3000);
}

TEST(OutputTest, InvalidUtf8DoesNotThrow) {
  auto job = FixedJob().summary;
  job.name = std::string("bad\xff\xfe name");
  std::string dumped;
  EXPECT_NO_THROW(dumped = DumpJson(JobsJson({job})));
  EXPECT_NE(dumped.find("bad\xEF\xBF\xBD"), std::string::npos) << dumped;
  EXPECT_EQ(dumped.back(), '\n');
}

}  // namespace
}  // namespace jobctl::cli
