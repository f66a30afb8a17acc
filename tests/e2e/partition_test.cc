// Network partitions: an agent in its own network namespace loses its link
// to the controller and gets it back.
//
// Short partition (under the heartbeat timeout): the rank keeps running, the
// lines it writes meanwhile are spooled on the agent and delivered after the
// heal, none lost or repeated. Long partition (over it): the node is LOST, the
// job FAILED, and the agent, when it is back, stops the orphaned rank.
#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "tests/e2e/local_cluster.h"
#include "tests/e2e/netns_host.h"
#include "tests/e2e/patience.h"
#include "tests/e2e/process_check.h"

namespace jobctl::testing {
namespace {

using namespace std::chrono_literals;

const std::set<std::string> kTerminal = {"SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT"};

// A rank that writes `line-N` every 10 ms until DIR/stop exists, then `end`;
// after each line it writes N to DIR/ticks.
std::string TickerJob(const std::string& dir) {
  return "name: ticker\ncommand: >-\n  echo $$ > " + dir + "/rank.pid; i=0; while [ ! -e " + dir +
         "/stop ]; do i=$((i+1)); echo line-$i; echo $i > " + dir +
         "/ticks; sleep 0.01; done; echo end\n";
}

// The last N the ticker wrote to DIR/ticks (0 when none yet or mid-write).
size_t TicksWritten(const std::string& dir) {
  std::string text = ReadFile(dir + "/ticks");
  return text.empty() || !std::isdigit(static_cast<unsigned char>(text[0]))
             ? 0
             : static_cast<size_t>(std::stoul(text));
}

// Lines `line-1`..`line-K` then `end`: returns K, or -1 when anything is
// missing, repeated or out of order.
int ContiguousTicks(const std::vector<std::string>& lines) {
  if (lines.empty() || lines.back() != "end") return -1;
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    if (lines[i] != "line-" + std::to_string(i + 1)) return -1;
  }
  return static_cast<int>(lines.size()) - 1;
}

// A controller listening on every interface, one agent in its own network
// namespace, and a ticker job RUNNING on it.
struct IsolatedAgent {
  explicit IsolatedAgent(int heartbeat_timeout_ms)
      : cluster(ClusterOptions{.heartbeat_timeout_ms = heartbeat_timeout_ms, .listen_any = true}) {
    cluster.StartController();
    cluster.StartAgentVia(host.Exec(), host.root_address(), "isolated");
    job = cluster.Submit(TickerJob(cluster.dir()));
  }
  NetnsHost host;  // declared first: outlives the agent running inside it
  LocalCluster cluster;
  std::string job;
};

class PartitionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!NetnsHost::Available(&why)) GTEST_SKIP() << why;
  }
};

// The partition lasts 30 s and, on a machine so loaded that the rank writes
// slower than a line per 100 ms, until it has written 300 lines more than were
// stored before the cut (at most 90 s): the heartbeat timeout (150 s) is far
// above both, so the partition never looks like a lost node.
TEST_F(PartitionTest, ShortPartitionLosesNoLine) {
  IsolatedAgent isolated(150000);
  LocalCluster& cluster = isolated.cluster;
  NetnsHost& host = isolated.host;
  const std::string& id = isolated.job;
  ASSERT_EQ(cluster.WaitForState(id, {"RUNNING"}), "RUNNING");
  std::this_thread::sleep_for(1s);
  size_t before = SplitLines(cluster.Jobctl({"logs", id, "--no-prefix"}).out).size();

  host.SetLink(false);
  auto cut = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(30s);
  while (TicksWritten(cluster.dir()) <= before + 300 &&
         std::chrono::steady_clock::now() < cut + 90s) {
    std::this_thread::sleep_for(100ms);
  }
  size_t written = TicksWritten(cluster.dir());
  EXPECT_EQ(cluster.GetJob(id).summary.state, "RUNNING");
  host.SetLink(true);

  // Let lines written after the heal flow too, then end the rank.
  auto healed = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(2s);
  std::ofstream(cluster.dir() + "/stop") << "";
  ASSERT_EQ(cluster.WaitForState(id, kTerminal, Patient(60s)), "SUCCEEDED")
      << cluster.GetJob(id).end_reason << "\n"
      << cluster.DaemonLog("isolated");
  auto done = std::chrono::steady_clock::now();
  std::vector<std::string> lines = SplitLines(cluster.Jobctl({"logs", id, "--no-prefix"}).out);
  int ticks = ContiguousTicks(lines);
  std::cout << "[ figures  ] " << lines.size() << " lines, " << before << " before the partition, "
            << written << " written by the heal; partition "
            << std::chrono::duration_cast<std::chrono::milliseconds>(healed - cut).count()
            << " ms; heal -> SUCCEEDED (rank told to end 2 s after the heal): "
            << std::chrono::duration_cast<std::chrono::milliseconds>(done - healed).count()
            << " ms\n";
  EXPECT_GT(ticks, 0) << "lines lost, repeated or out of order; " << lines.size() << " lines";
  // The rank wrote through the partition: far more lines than before it, and
  // every line it wrote while cut off was delivered.
  EXPECT_GT(written, before + 300) << "the rank wrote too few lines in the partition";
  EXPECT_GE(static_cast<size_t>(ticks), written) << "before=" << before;
}

TEST_F(PartitionTest, LongPartitionFailsTheJobAndTheAgentStopsTheOrphan) {
  IsolatedAgent isolated(2000);
  LocalCluster& cluster = isolated.cluster;
  NetnsHost& host = isolated.host;
  const std::string& id = isolated.job;
  ASSERT_EQ(cluster.WaitForState(id, {"RUNNING"}), "RUNNING");
  std::this_thread::sleep_for(500ms);
  std::vector<int> pids = ReadPids({cluster.dir() + "/rank.pid"});
  ASSERT_EQ(pids.size(), 1u);
  ASSERT_TRUE(ProcessAlive(pids[0]));

  host.SetLink(false);
  auto cut = std::chrono::steady_clock::now();
  EXPECT_TRUE(cluster.WaitForNodeState("isolated", "LOST", 15s));
  auto lost = std::chrono::steady_clock::now();
  EXPECT_EQ(cluster.WaitForState(id, kTerminal, 15s), "FAILED");
  // Cut off, the agent cannot know yet: its rank still runs.
  EXPECT_TRUE(ProcessAlive(pids[0]));
  host.SetLink(true);
  auto healed = std::chrono::steady_clock::now();

  EXPECT_TRUE(cluster.WaitForNodeState("isolated", "READY", 20s)) << cluster.DaemonLog("isolated");
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (ProcessAlive(pids[0]) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(100ms);
  }
  bool alive = ProcessAlive(pids[0]);
  auto stopped = std::chrono::steady_clock::now();
  auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
  std::cout << "[ figures  ] heartbeat timeout 2000 ms: cut -> LOST " << ms(lost - cut)
            << " ms; heal -> orphan stopped " << ms(stopped - healed) << " ms\n";
  if (alive) KillAll(pids);
  EXPECT_FALSE(alive) << "the orphaned rank was not stopped\n" << cluster.DaemonLog("isolated");
  EXPECT_EQ(cluster.GetJob(id).summary.state, "FAILED");
}

}  // namespace
}  // namespace jobctl::testing
