// jobs/mnist-mlp-ddp.yaml: jobtrainer's 2 ranks run as a job on 2 agents and
// average gradients through Gloo; both ranks' epoch lines reach `jobctl logs`.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <regex>

#include "tests/e2e/local_cluster.h"

namespace jobctl::testing {
namespace {

TEST(TrainerJobTest, MnistMlpDdpExampleRunsOnTwoAgents) {
  if (!std::filesystem::exists(std::string(JOBCTL_SOURCE_DIR) + "/../shared/data/mnist")) {
    GTEST_SKIP() << "the MNIST data set is not at ../shared/data/mnist";
  }
  // The agents (and so the ranks) find jobtrainer on their PATH.
  std::string trainer_dir = std::filesystem::path(JOBTRAINER_PATH).parent_path().string();
  setenv("PATH", (trainer_dir + ":" + std::getenv("PATH")).c_str(), 1);
  LocalCluster cluster;
  cluster.StartController();
  cluster.StartAgent("local-1");
  cluster.StartAgent("local-2");
  auto r = cluster.Jobctl(
      {"submit", std::string(JOBCTL_SOURCE_DIR) + "/jobs/mnist-mlp-ddp.yaml", "--follow"},
      std::chrono::seconds(300));
  ASSERT_EQ(r.exit_code, 0) << r.err << "\nthe ranks' output:\n" << r.out;
  std::string id = r.err.substr(r.err.find("job ") + 4);
  id = id.substr(0, id.find(' '));
  auto logs = cluster.Jobctl({"logs", id});
  std::regex epoch(R"(^\[rank (\d)\] epoch (\d)/2 train_loss=[0-9.]+ val_loss=[0-9.]+ )"
                   R"(val_accuracy=([0-9.]+) samples_per_second=\d+ epoch_seconds=[0-9.]+$)");
  std::set<std::string> seen;
  double last_accuracy = 0;
  for (const auto& line : SplitLines(logs.out)) {
    std::smatch m;
    if (!std::regex_match(line, m, epoch)) continue;
    seen.insert(std::string(m[1]) + "/" + std::string(m[2]));
    if (m[2] == "2") last_accuracy = std::stod(m[3]);
  }
  EXPECT_EQ(seen, (std::set<std::string>{"0/1", "0/2", "1/1", "1/2"})) << logs.out;
  EXPECT_GE(last_accuracy, 0.93);

  // The epoch metrics went through JOBCTL_METRICS (rank 0, step = epoch).
  auto metrics = cluster.Jobctl({"metrics", id, "-o", "csv"});
  ASSERT_EQ(metrics.exit_code, 0) << metrics.err;
  for (const char* name : {"train_loss", "val_loss", "val_accuracy", "samples_per_second",
                           "epoch_seconds"}) {
    for (int epoch : {1, 2}) {
      std::string row = std::string(name) + ",1,0," + std::to_string(epoch) + ",";
      EXPECT_NE(metrics.out.find(row), std::string::npos) << row << " missing:\n" << metrics.out;
    }
  }
  auto charts = cluster.Jobctl({"metrics", id});
  EXPECT_NE(charts.out.find("val_accuracy  last "), std::string::npos) << charts.out;
}

}  // namespace
}  // namespace jobctl::testing
