// Pools and autoscaling with real processes: the local provider starts and
// stops jobagent processes; the command provider runs test shell scripts.
#include <dirent.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/e2e/local_cluster.h"
#include "tests/e2e/process_check.h"

namespace jobctl::testing {
namespace {

using std::chrono::seconds;
const std::set<std::string> kTerminal = {"SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT"};

std::string WriteConfig(const std::string& dir, const std::string& yaml) {
  std::string path = dir + "/pools.yaml";
  std::ofstream(path) << yaml;
  return path;
}

// Pids of live processes whose command line contains every one of `parts`.
std::vector<int> ProcessesWith(const std::vector<std::string>& parts) {
  std::vector<int> out;
  DIR* proc = opendir("/proc");
  if (!proc) return out;
  while (dirent* e = readdir(proc)) {
    int pid = std::atoi(e->d_name);
    if (pid <= 0) continue;
    std::string cmd = ReadFile("/proc/" + std::string(e->d_name) + "/cmdline");
    bool all = !cmd.empty();
    for (const auto& p : parts) all = all && cmd.find(p) != std::string::npos;
    if (all && ProcessAlive(pid)) out.push_back(pid);
  }
  closedir(proc);
  return out;
}

nlohmann::json Pool(LocalCluster& cluster, const std::string& name) {
  auto r = cluster.Jobctl({"pools", "-o", "json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto pools = nlohmann::json::parse(r.out, nullptr, false);
  if (!pools.is_array()) return nlohmann::json();
  for (const auto& p : pools) {
    if (p.value("name", "") == name) return p;
  }
  return nlohmann::json();
}

// Polls `pools -o json` until `pred(pool)` holds (bounded).
bool WaitForPool(LocalCluster& cluster, const std::string& name,
                 const std::function<bool(const nlohmann::json&)>& pred,
                 std::chrono::milliseconds timeout = seconds(40)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto p = Pool(cluster, name);
    if (!p.is_null() && pred(p)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

bool HasTransitionTo(const protocol::JobDetail& job, const std::string& state) {
  for (const auto& t : job.transitions) {
    if (t.to == state) return true;
  }
  return false;
}

TEST(PoolsTest, LocalPoolScalesUpForAJobAndBackToZeroWhenIdle) {
  char tmpl[] = "/tmp/jobctl-pools-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string config = WriteConfig(tmpl, std::string(R"(pools:
  - name: cpu
    min_nodes: 0
    max_nodes: 3
    idle_timeout: 2
    provision_timeout: 60
    provider:
      type: local
      agent_binary: )") + JOBAGENT_PATH + R"(
      agent_args: ["--heartbeat-ms", "200", "--cpus", "2"]
      stop_grace: 5
)");
  ClusterOptions options;
  options.controller_args = {"--config", config};
  LocalCluster cluster(options);
  cluster.StartController();
  auto pool = Pool(cluster, "cpu");
  ASSERT_FALSE(pool.is_null());
  EXPECT_EQ(pool["ready"], 0);
  EXPECT_EQ(pool["max_nodes"], 3);

  std::string job = cluster.Submit(
      "name: two\ncompute: cpu\ncommand: echo hello from $RANK\nresources:\n  instance_count: 2\n");
  EXPECT_EQ(cluster.WaitForState(job, kTerminal), "SUCCEEDED")
      << cluster.GetJob(job).end_reason << "\n"
      << cluster.DaemonLog("jobctld");
  auto detail = cluster.GetJob(job);
  EXPECT_TRUE(HasTransitionTo(detail, "SCALING"));
  EXPECT_EQ(detail.nodes.size(), 2u);
  for (const auto& n : detail.nodes) EXPECT_EQ(n.rfind("cpu-", 0), 0u) << n;
  std::string data_dir = cluster.dir() + "/controller";
  EXPECT_TRUE(std::filesystem::exists(data_dir + "/pools/cpu/cpu-1.log"));
  EXPECT_TRUE(std::filesystem::exists(data_dir + "/pools/cpu/cpu-2.log"));

  // Idle for 2 s: back to min_nodes 0, the agent processes gone.
  EXPECT_TRUE(WaitForPool(cluster, "cpu", [](const nlohmann::json& p) {
    return p["nodes"].empty() && p["provisioning"] == 0;
  })) << Pool(cluster, "cpu").dump();
  auto deadline = std::chrono::steady_clock::now() + seconds(20);
  while (!ProcessesWith({"jobagent", data_dir + "/pools/cpu/"}).empty() &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(ProcessesWith({"jobagent", data_dir + "/pools/cpu/"}).empty());
  auto nodes = cluster.Jobctl({"nodes", "-o", "json"});
  EXPECT_EQ(nodes.exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(nodes.out).size(), 0u) << nodes.out;

  // Too big for the pool, and an unknown pool: refused at submit.
  std::string big = cluster.dir() + "/big.yaml";
  std::ofstream(big) << "command: 'true'\ncompute: cpu\nresources:\n  instance_count: 4\n";
  auto r = cluster.Jobctl({"submit", big});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("max_nodes 3"), std::string::npos) << r.err;
  std::string unknown = cluster.dir() + "/unknown.yaml";
  std::ofstream(unknown) << "command: 'true'\ncompute: gpu\n";
  r = cluster.Jobctl({"submit", unknown});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("pool 'gpu' does not exist"), std::string::npos) << r.err;
  auto list = cluster.Jobctl({"list", "-o", "json"});
  EXPECT_EQ(nlohmann::json::parse(list.out).size(), 1u) << "nothing stored for refused jobs";
  std::filesystem::remove_all(tmpl);
}

class CommandPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/jobctl-pools-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    scripts_ = tmpl;
  }
  void TearDown() override {
    // Agents the scripts started in the background.
    for (int pid : ProcessesWith({"jobagent", scripts_})) kill(pid, SIGKILL);
    std::filesystem::remove_all(scripts_);
  }
  std::string Script(const std::string& name, const std::string& body) {
    std::string path = scripts_ + "/" + name;
    std::ofstream(path) << "#!/bin/sh\n" << body;
    std::filesystem::permissions(path, std::filesystem::perms::owner_all);
    return path;
  }
  std::string Config(const std::string& create, const std::string& del, int provision_s) {
    return WriteConfig(scripts_,
                       "pools:\n  - name: cloud\n    max_nodes: 2\n    idle_timeout: 2\n"
                       "    provision_timeout: " +
                           std::to_string(provision_s) +
                           "\n    provider:\n      type: command\n      create: " + create +
                           "\n      delete: " + del + "\n      timeout: 20\n");
  }
  std::string scripts_;
};

TEST_F(CommandPoolTest, ScriptsCreateAndDeleteNodes) {
  std::string d = scripts_;
  std::string create =
      Script("create.sh",
             R"(set -e
D=)" + d + R"(
for i in $(seq 1 "$JOBCTL_COUNT"); do
  n=$(cat $D/counter 2>/dev/null || echo 0); n=$((n+1)); echo $n > $D/counter
  name="$JOBCTL_POOL-c$n"
  mkdir -p $D/$name
  )" + JOBAGENT_PATH +
                 R"( --controller "$JOBCTL_CONTROLLER" --node-id "$name" --pool "$JOBCTL_POOL" \
      --work-dir $D/$name --heartbeat-ms 200 >$D/$name.log 2>&1 &
  echo $! > $D/$name.pid
  echo "$name"
done
echo "created $JOBCTL_COUNT" >&2
)");
  std::string del =
      Script("delete.sh", "kill $(cat " + d + "/$1.pid)\necho \"$1\" >> " + d + "/deleted\n");
  ClusterOptions options;
  options.controller_args = {"--config", Config(create, del, 60)};
  LocalCluster cluster(options);
  cluster.StartController();
  std::string job = cluster.Submit("command: echo hi\ncompute: cloud\n");
  EXPECT_EQ(cluster.WaitForState(job, kTerminal), "SUCCEEDED")
      << cluster.GetJob(job).end_reason << "\n"
      << cluster.DaemonLog("jobctld");
  EXPECT_EQ(cluster.GetJob(job).nodes, std::vector<std::string>{"cloud-c1"});
  EXPECT_TRUE(WaitForPool(cluster, "cloud", [](const nlohmann::json& p) {
    return p["nodes"].empty();
  })) << Pool(cluster, "cloud").dump();
  EXPECT_EQ(ReadFile(d + "/deleted"), "cloud-c1\n");
  int pid = std::stoi(ReadFile(d + "/cloud-c1.pid"));
  auto deadline = std::chrono::steady_clock::now() + seconds(20);
  while (ProcessAlive(pid) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_FALSE(ProcessAlive(pid));
}

TEST_F(CommandPoolTest, NodeThatNeverRegistersIsGivenUp) {
  std::string d = scripts_;
  std::string create = Script("create.sh", "echo ghost-$(date +%s%N)\n");
  std::string del = Script("delete.sh", "echo \"$1\" >> " + d + "/deleted\n");
  ClusterOptions options;
  options.controller_args = {"--config", Config(create, del, 1)};
  LocalCluster cluster(options);
  cluster.StartController();
  std::string job = cluster.Submit("command: echo hi\ncompute: cloud\n");
  auto deadline = std::chrono::steady_clock::now() + seconds(30);
  std::string shown;
  while (std::chrono::steady_clock::now() < deadline) {
    auto show = cluster.Jobctl({"show", job});
    shown = show.out;
    if (shown.find("did not register within 1 s") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_NE(shown.find("did not register within 1 s"), std::string::npos) << shown;
  EXPECT_NE(shown.find("SCALING"), std::string::npos) << shown;
  EXPECT_NE(ReadFile(d + "/deleted").find("ghost-"), std::string::npos);
  EXPECT_NE(cluster.DaemonLog("jobctld").find("did not register"), std::string::npos);
  EXPECT_EQ(cluster.Jobctl({"cancel", job}).exit_code, 0);
}

}  // namespace
}  // namespace jobctl::testing
