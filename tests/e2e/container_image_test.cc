// Jobs with an environment image: a real registry (docker-registry on a
// free 127.0.0.1 port), an image built from busybox and pushed there, and
// agents with `--runtime podman` that pull it in PREPARING and run every
// rank in a container of it. Each agent has its own podman storage, like a
// separate node, and every test checks that none of our containers remain.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <thread>

#include "tests/e2e/container_tools.h"
#include "tests/e2e/local_cluster.h"

namespace jobctl::testing {
namespace {

const std::set<std::string> kTerminal = {"SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT"};

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

size_t Count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t pos = text.find(part); pos != std::string::npos; pos = text.find(part, pos + 1)) {
    ++n;
  }
  return n;
}

class ContainerImageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string missing = ContainerToolsMissing();
    if (!missing.empty()) GTEST_SKIP() << missing;
    std::string err = registry_.Start(cluster_.dir() + "/registry");
    ASSERT_EQ(err, "") << err;
    marker_ = "inside-the-image-" + std::to_string(std::random_device{}());
    image_ = registry_.host() + "/jobctl-tiny:1";
    // Build, push, and forget it locally: the agents must pull it.
    PodmanStore builder(cluster_.dir() + "/podman-build");
    err = builder.BuildTinyImage(image_, marker_);
    ASSERT_EQ(err, "") << err;
    auto push = builder.Run({"push", "--tls-verify=false", image_});
    ASSERT_EQ(push.exit_code, 0) << push.err;
    auto rmi = builder.Run({"rmi", image_});
    ASSERT_EQ(rmi.exit_code, 0) << rmi.err;
    cluster_.StartController();
    for (const char* node : {"node-a", "node-b"}) {
      stores_.emplace(node, PodmanStore(cluster_.dir() + "/podman-" + node));
      auto flags = stores_.at(node).AgentFlags();
      // --keep-attempt-dirs: RanksRunInsideTheImage reads the outputs the
      // containers wrote from the attempts' directories after the job.
      flags.insert(flags.end(), {"--insecure-registry", registry_.host(), "--pull-timeout-s", "60",
                                 "--keep-attempt-dirs"});
      cluster_.StartAgent(node, flags);
    }
  }

  void TearDown() override {
    // A rank stopped by fail-fast may still be on its way out when the job
    // ends: wait (bounded) for its container to go, then insist.
    for (const auto& [node, store] : stores_) {
      std::string left = store.OurContainers(node);
      for (int i = 0; i < 100 && !left.empty(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        left = store.OurContainers(node);
      }
      EXPECT_EQ(left, "") << "containers of " << node << " remain";
      // Whatever the outcome, leave nothing running behind the test.
      if (!left.empty()) store.Run({"rm", "-a", "-f", "-t", "0"});
    }
  }

  std::string Spec(const std::string& name, const std::string& image, const std::string& command) {
    return "name: " + name + "\ncommand: >-\n  " + command + "\nenvironment:\n  image: " + image +
           "\nresources:\n  instance_count: 2\n";
  }

  // The contents of every file named `name` under the agents' work dirs.
  std::vector<std::string> AgentFiles(const std::string& name) {
    std::vector<std::string> out;
    for (const auto& e :
         std::filesystem::recursive_directory_iterator(cluster_.dir() + "/agents")) {
      if (e.is_regular_file() && e.path().filename() == name) out.push_back(ReadFile(e.path()));
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  LocalCluster cluster_;
  TestRegistry registry_;
  std::map<std::string, PodmanStore> stores_;
  std::string image_;
  std::string marker_;
};

TEST_F(ContainerImageTest, RanksRunInsideTheImage) {
  std::string id = cluster_.Submit(
      Spec("in-image", image_,
           "cat /marker; echo \"rank $RANK of $WORLD_SIZE\"; test ! -e /usr/bin/apt-get && "
           "echo \"wrote-$RANK\" > \"$JOBCTL_OUTPUTS_DIR/result.txt\""));
  ASSERT_EQ(cluster_.WaitForState(id, kTerminal, std::chrono::seconds(120)), "SUCCEEDED")
      << cluster_.Jobctl({"show", id}).out << cluster_.DaemonLog("agent-node-a");
  auto logs = cluster_.Jobctl({"logs", id});
  ASSERT_EQ(logs.exit_code, 0) << logs.err;
  EXPECT_EQ(Count(logs.out, marker_), 2u) << logs.out;
  EXPECT_TRUE(Contains(logs.out, "rank 0 of 2")) << logs.out;
  EXPECT_TRUE(Contains(logs.out, "rank 1 of 2")) << logs.out;
  // Each node pulled, and said so in the job's log.
  EXPECT_EQ(Count(logs.out, "[jobagent] pulling image " + image_), 2u) << logs.out;
  // Outputs written inside the containers are on the hosts.
  EXPECT_EQ(AgentFiles("result.txt"), (std::vector<std::string>{"wrote-0\n", "wrote-1\n"}));

  // Second job: the image is cached (no pull), and a rank's exit code flows
  // to the result while fail-fast stops the other container.
  std::string id2 =
      cluster_.Submit(Spec("exit-code", image_, "if [ \"$RANK\" = 1 ]; then exit 3; fi; sleep 60"));
  ASSERT_EQ(cluster_.WaitForState(id2, kTerminal, std::chrono::seconds(90)), "FAILED");
  auto detail = cluster_.GetJob(id2);
  EXPECT_TRUE(Contains(detail.end_reason, "rank 1")) << detail.end_reason;
  EXPECT_TRUE(Contains(detail.end_reason, "3")) << detail.end_reason;
  auto logs2 = cluster_.Jobctl({"logs", id2});
  EXPECT_TRUE(Contains(logs2.out, "is present on node")) << logs2.out;
  EXPECT_FALSE(Contains(logs2.out, "pulling image")) << logs2.out;
}

TEST_F(ContainerImageTest, MissingTagFailsInPreparing) {
  std::string missing = registry_.host() + "/jobctl-tiny:no-such-tag";
  std::string id = cluster_.Submit(Spec("missing-tag", missing, "echo never"));
  ASSERT_EQ(cluster_.WaitForState(id, kTerminal, std::chrono::seconds(90)), "FAILED");
  auto detail = cluster_.GetJob(id);
  EXPECT_TRUE(Contains(detail.end_reason, "failed to prepare")) << detail.end_reason;
  EXPECT_TRUE(Contains(detail.end_reason, missing)) << detail.end_reason;
  bool ran = false;
  for (const auto& t : detail.transitions) ran |= t.to == "RUNNING";
  EXPECT_FALSE(ran);
  auto show = cluster_.Jobctl({"show", id});
  EXPECT_TRUE(Contains(show.out, missing)) << show.out;
  auto logs = cluster_.Jobctl({"logs", id});
  EXPECT_TRUE(Contains(logs.out, "[jobagent] prepare failed")) << logs.out;
  EXPECT_FALSE(Contains(logs.out, "never")) << logs.out;
}

TEST_F(ContainerImageTest, CancelRemovesTheContainers) {
  std::string id = cluster_.Submit(Spec("cancelled", image_, "echo started; sleep 600"));
  ASSERT_EQ(cluster_.WaitForState(id, {"RUNNING"}, std::chrono::seconds(90)), "RUNNING");
  // Both containers exist while the job runs.
  for (const auto& [node, store] : stores_) {
    std::string names = store.OurContainers(node);
    for (int i = 0; i < 100 && names.empty(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      names = store.OurContainers(node);
    }
    EXPECT_TRUE(Contains(names, "jobctl-" + id + "-a")) << node << ": " << names;
  }
  auto cancel = cluster_.Jobctl({"cancel", id});
  ASSERT_EQ(cancel.exit_code, 0) << cancel.err;
  ASSERT_EQ(cluster_.WaitForState(id, kTerminal, std::chrono::seconds(60)), "CANCELLED");
  // TearDown checks that no container remains.
}

TEST_F(ContainerImageTest, AgentRemovesContainersLeftBehind) {
  // A container of a previous agent of node-c, still running.
  PodmanStore store(cluster_.dir() + "/podman-node-c");
  std::string err = store.BuildTinyImage("localhost/jobctl-tiny:left", "left");
  ASSERT_EQ(err, "") << err;
  auto run = store.Run({"run", "-d", "--name", "jobctl-old-a1-r0", "--label", "jobctl.node=node-c",
                        "localhost/jobctl-tiny:left", "sleep", "600"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ASSERT_EQ(store.OurContainers("node-c"), "jobctl-old-a1-r0\n");
  cluster_.StartAgent("node-c", store.AgentFlags());
  stores_.emplace("node-c", std::move(store));
  // TearDown waits (bounded) for it to be gone and fails if it is not.
}

TEST(ProcessRuntimeImageTest, ImageOnProcessRuntimeFailsInPreparing) {
  LocalCluster cluster;
  cluster.StartController();
  cluster.StartAgent("node-a", {"--runtime", "process"});
  std::string id =
      cluster.Submit("name: img\ncommand: echo never\nenvironment:\n  image: 127.0.0.1:1/x:1\n");
  ASSERT_EQ(cluster.WaitForState(id, kTerminal), "FAILED");
  auto detail = cluster.GetJob(id);
  EXPECT_TRUE(Contains(detail.end_reason, "--runtime process")) << detail.end_reason;
  EXPECT_TRUE(Contains(detail.end_reason, "127.0.0.1:1/x:1")) << detail.end_reason;
}

}  // namespace
}  // namespace jobctl::testing
