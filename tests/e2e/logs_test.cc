// The log path loses, repeats and reorders nothing: 200,000 numbered lines
// and one 100 KiB line, also across a controller killed with SIGKILL.
#include <gtest/gtest.h>

#include <signal.h>

#include <thread>

#include "tests/e2e/local_cluster.h"
#include "tests/e2e/patience.h"

namespace jobctl::testing {
namespace {

const std::set<std::string> kTerminal = {"SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT"};
constexpr int kLines = 200000;

// 20 chunks of 10,000 numbered lines, `pause` seconds apart, then a 100 KiB line.
std::string Spec(const std::string& pause) {
  return "name: many-lines\n"
         "command: >-\n"
         "  for i in $(seq 0 19); do seq $((i*10000+1)) $((i*10000+10000)); sleep " +
         pause +
         "; done;\n"
         "  head -c 102400 /dev/zero | tr '\\0' 'x'; echo\n";
}

// Checks the numbered lines 1..kLines arrive in order, once each, and the
// long line arrives whole (split into pieces of at most 16 KiB).
void ExpectComplete(const std::string& out) {
  int expected = 1;
  size_t long_bytes = 0;
  size_t pieces = 0;
  for (const auto& line : SplitLines(out)) {
    if (!line.empty() && line[0] == 'x') {
      EXPECT_EQ(line.find_first_not_of('x'), std::string::npos);
      EXPECT_LE(line.size(), 16u * 1024);
      long_bytes += line.size();
      ++pieces;
      continue;
    }
    ASSERT_EQ(line, std::to_string(expected)) << "line " << expected << " lost or out of order";
    ++expected;
  }
  EXPECT_EQ(expected, kLines + 1);
  EXPECT_EQ(long_bytes, 102400u);
  EXPECT_GE(pieces, 7u);
}

TEST(LogsTest, AllLinesInOrder) {
  LocalCluster cluster;
  cluster.StartController();
  cluster.StartAgent("node-a");
  std::string id = cluster.Submit(Spec("0"));
  ASSERT_EQ(cluster.WaitForState(id, kTerminal), "SUCCEEDED");
  auto logs = cluster.Jobctl({"logs", id, "--no-prefix"});
  ASSERT_EQ(logs.exit_code, 0) << logs.err;
  ExpectComplete(logs.out);
  // The last 8 records: line 200000 and the 7 pieces of the 100 KiB line.
  auto tail = cluster.Jobctl({"logs", id, "--no-prefix", "--tail", "8"});
  auto tail_lines = SplitLines(tail.out);
  ASSERT_EQ(tail_lines.size(), 8u);
  EXPECT_EQ(tail_lines[0], "200000");
}

TEST(LogsTest, SurvivesControllerKilledMidStream) {
  // The restarted controller waits heartbeat_timeout_ms for its nodes; the
  // agent first resends the lines it spooled meanwhile (patience.h).
  LocalCluster cluster(ClusterOptions{.heartbeat_timeout_ms = RestartHeartbeatTimeoutMs()});
  cluster.StartController();
  cluster.StartAgent("node-a");
  std::string id = cluster.Submit(Spec("0.15"));
  ASSERT_EQ(cluster.WaitForState(id, {"RUNNING"}), "RUNNING");

  // A follower that must ride through the restart.
  Subprocess follower;
  std::string follow_file = cluster.dir() + "/follow.out";
  ASSERT_TRUE(follower.Start({JOBCTL_PATH, "--controller", cluster.endpoint(), "logs", id, "-f",
                              "--no-prefix"},
                             follow_file, cluster.JobctlEnv()));
  // Only a follower that got an answer waits for a lost controller (one that
  // never got any fails at once, exit 3): wait for its first line, which a
  // slow (sanitizer) build may take more than a second to print.
  for (int i = 0; i < 300 && ReadFile(follow_file).empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(ReadFile(follow_file).empty()) << "logs -f printed nothing in 30 s";
  cluster.KillController(SIGKILL);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  cluster.StartController();

  ASSERT_EQ(cluster.WaitForState(id, kTerminal), "SUCCEEDED") << cluster.GetJob(id).end_reason;
  auto logs = cluster.Jobctl({"logs", id, "--no-prefix"});
  ASSERT_EQ(logs.exit_code, 0) << logs.err;
  ExpectComplete(logs.out);

  auto status = follower.Wait(std::chrono::seconds(30));
  ASSERT_TRUE(status.has_value()) << "logs -f did not finish";
  EXPECT_EQ(*status, 0);
  // The follower also prints a reconnect notice on stderr (same file):
  // keep only the data lines.
  std::string data;
  for (const auto& line : SplitLines(ReadFile(follow_file))) {
    if (line.rfind("jobctl:", 0) == 0) continue;
    data += line + "\n";
  }
  ExpectComplete(data);
}

}  // namespace
}  // namespace jobctl::testing
