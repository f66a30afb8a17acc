// The metrics path end to end: 2 ranks on 2 agents log 3 metrics over 100
// steps each (two through tools/jobctl_metrics.py with /usr/bin/python3, one
// through a shell one-liner); `jobctl metrics -o json` returns every point
// exactly, also after the controller was killed with SIGKILL mid-job and
// restarted on the same data dir. Experiments: `list --experiment` and
// `compare`.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <map>
#include <nlohmann/json.hpp>
#include <thread>
#include <tuple>

#include "tests/e2e/local_cluster.h"
#include "tests/e2e/patience.h"
#include "tests/e2e/subprocess.h"

namespace jobctl::testing {
namespace {

const std::set<std::string> kTerminal = {"SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT"};
constexpr int kSteps = 100;

// `pause`: seconds to sleep between steps 49 and 50 (so a test can restart
// the controller mid-job).
std::string Spec(const std::string& experiment, const std::string& pause, double offset) {
  std::string tools = std::string(JOBCTL_SOURCE_DIR) + "/tools";
  return "name: metrics-e2e\n"
         "experiment_name: " +
         experiment +
         "\n"
         "environment_variables:\n"
         "  PYTHONPATH: " +
         tools +
         "\n"
         "  OFFSET: '" +
         std::to_string(offset) +
         "'\n"
         "resources:\n"
         "  instance_count: 2\n"
         "command: |\n"
         "  /usr/bin/python3 -c '\n"
         "  import os, time, jobctl_metrics as m\n"
         "  r = int(os.environ[\"RANK\"]); off = float(os.environ[\"OFFSET\"])\n"
         "  for s in range(100):\n"
         "      m.log_metric(\"loss\", off + r * 1000 + s + 0.25, s)\n"
         "      m.log_metric(\"val/acc\", r + s / 1024.0, s)\n"
         "      if s == 49: time.sleep(" +
         pause +
         ")\n"
         "  '\n"
         "  for s in $(seq 0 99); do echo \"lr $((RANK * 100000 + s)).5 $s\" > "
         "\"$JOBCTL_METRICS\"; done\n"
         "  echo 'not a metric line' > \"$JOBCTL_METRICS\"\n";
}

using Key = std::tuple<std::string, int, int64_t>;  // name, rank, step

void ExpectAllPoints(const std::string& json_text, double offset) {
  auto j = nlohmann::json::parse(json_text, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << json_text.substr(0, 500);
  std::map<Key, double> got;
  for (const auto& p : j["points"]) {
    Key key{p["name"].get<std::string>(), p["rank"].get<int>(), p["step"].get<int64_t>()};
    EXPECT_EQ(p["attempt"].get<int>(), 1);
    EXPECT_TRUE(got.emplace(key, p["value"].get<double>()).second)
        << "duplicate point " << std::get<0>(key) << " rank " << std::get<1>(key) << " step "
        << std::get<2>(key);
  }
  EXPECT_EQ(got.size(), 2u * 3u * kSteps);
  for (int r = 0; r < 2; ++r) {
    for (int s = 0; s < kSteps; ++s) {
      auto expect = [&](const std::string& name, double value) {
        auto it = got.find(Key{name, r, s});
        ASSERT_NE(it, got.end()) << name << " rank " << r << " step " << s << " missing";
        EXPECT_EQ(it->second, value) << name << " rank " << r << " step " << s;
      };
      expect("loss", offset + r * 1000 + s + 0.25);
      expect("val/acc", r + s / 1024.0);
      expect("lr", r * 100000 + s + 0.5);
    }
  }
}

TEST(MetricsTest, TwoRanksEveryPointStoredAndReturned) {
  LocalCluster cluster;
  cluster.StartController();
  cluster.StartAgent("node-a");
  cluster.StartAgent("node-b");
  std::string id = cluster.Submit(Spec("exp-a", "0", 0));
  // A follower polls until the job has ended, then prints every point.
  Subprocess follower;
  std::string follow_file = cluster.dir() + "/follow.json";
  ASSERT_TRUE(follower.Start({JOBCTL_PATH, "--controller", cluster.endpoint(), "metrics", id, "-f",
                              "-o", "json", "--interval-ms", "100"},
                             follow_file, cluster.JobctlEnv()));
  ASSERT_EQ(cluster.WaitForState(id, kTerminal), "SUCCEEDED") << cluster.GetJob(id).end_reason;
  auto r = cluster.Jobctl({"metrics", id, "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ExpectAllPoints(r.out, 0);
  auto followed = follower.Wait(std::chrono::seconds(30));
  ASSERT_TRUE(followed.has_value()) << "metrics -f did not end with the job";
  EXPECT_EQ(*followed, 0);
  ExpectAllPoints(ReadFile(follow_file), 0);

  // The bad line is reported once in the rank's log.
  auto logs = cluster.Jobctl({"logs", id});
  EXPECT_NE(logs.out.find("jobctl: metrics: ignored bad line 'not a metric line'"),
            std::string::npos)
      << logs.out;

  // The charts (stdout is a pipe: plain ASCII, no escape codes).
  auto charts = cluster.Jobctl({"metrics", id, "--width", "70"});
  ASSERT_EQ(charts.exit_code, 0) << charts.err;
  for (const char* name : {"loss  last 99.25 at step 99", "lr  last 99.5", "val/acc  last"}) {
    EXPECT_NE(charts.out.find(name), std::string::npos) << charts.out;
  }
  EXPECT_EQ(charts.out.find('\x1b'), std::string::npos);
  auto csv = cluster.Jobctl({"metrics", id, "--name", "lr", "-o", "csv"});
  EXPECT_EQ(SplitLines(csv.out).size(), 1u + 2u * kSteps);

  // An experiment of two jobs: final values side by side, and one chart.
  std::string id2 = cluster.Submit(Spec("exp-a", "0", 0.5));
  ASSERT_EQ(cluster.WaitForState(id2, kTerminal), "SUCCEEDED");
  auto list = cluster.Jobctl({"list", "--experiment", "exp-a"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("99.75"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("val/acc"), std::string::npos) << list.out;
  auto list_json = nlohmann::json::parse(
      cluster.Jobctl({"list", "--experiment", "exp-a", "-o", "json"}).out, nullptr, false);
  ASSERT_TRUE(list_json.is_array());
  ASSERT_EQ(list_json.size(), 2u);
  EXPECT_EQ(list_json[0]["metrics"]["loss"]["value"].get<double>(), 99.75);
  auto compare = cluster.Jobctl({"compare", id, id2, "--name", "loss", "-o", "json"});
  ASSERT_EQ(compare.exit_code, 0) << compare.err;
  auto cj = nlohmann::json::parse(compare.out);
  EXPECT_EQ(cj["jobs"][1]["points"].size(), 2u * kSteps);
  auto chart = cluster.Jobctl({"compare", id, id2, "--name", "loss", "--width", "60"});
  EXPECT_NE(chart.out.find("* job " + id), std::string::npos) << chart.out;
  EXPECT_NE(chart.out.find("+ job " + id2), std::string::npos) << chart.out;
}

TEST(MetricsTest, SurvivesControllerKilledMidJob) {
  LocalCluster cluster(ClusterOptions{.heartbeat_timeout_ms = RestartHeartbeatTimeoutMs()});
  cluster.StartController();
  cluster.StartAgent("node-a");
  cluster.StartAgent("node-b");
  std::string id = cluster.Submit(Spec("exp-b", "3", 0));
  ASSERT_EQ(cluster.WaitForState(id, {"RUNNING"}), "RUNNING");
  // Let the first half arrive, then kill the controller before the rest.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  cluster.KillController(SIGKILL);
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  cluster.StartController();
  ASSERT_EQ(cluster.WaitForState(id, kTerminal), "SUCCEEDED") << cluster.GetJob(id).end_reason;
  auto r = cluster.Jobctl({"metrics", id, "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ExpectAllPoints(r.out, 0);
  // And once more from a fresh start on the same data dir.
  cluster.KillController(SIGKILL);
  cluster.StartController();
  auto again = cluster.Jobctl({"metrics", id, "-o", "json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  ExpectAllPoints(again.out, 0);
}

}  // namespace
}  // namespace jobctl::testing
