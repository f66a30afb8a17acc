// Every example under jobs/ must parse.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "common/job_spec/job_spec_parser.h"

namespace jobctl {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> ExampleSpecs() {
  std::vector<fs::path> files;
  const fs::path jobs = fs::path(JOBCTL_SOURCE_DIR) / "jobs";
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(jobs, error)) {
    if (entry.is_regular_file() && entry.path().extension() == ".yaml") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(JobExamplesTest, EveryExampleParses) {
  const std::vector<fs::path> files = ExampleSpecs();
  EXPECT_GE(files.size(), 10u) << "expected the examples of docs/job-spec.md under jobs/";
  for (const fs::path& file : files) {
    Result<JobSpec> parsed = ParseJobSpecFile(file.string());
    EXPECT_TRUE(parsed.ok()) << parsed.status().message();
  }
}

TEST(JobExamplesTest, MainExampleIsTwoNodesOfTwoRanks) {
  Result<JobSpec> parsed =
      ParseJobSpecFile((fs::path(JOBCTL_SOURCE_DIR) / "jobs/hello-distributed.yaml").string());
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed->resources.instance_count, 2);
  EXPECT_EQ(parsed->distribution.type, "pytorch");
  EXPECT_EQ(parsed->distribution.process_count_per_instance, 2);
  EXPECT_EQ(parsed->WorldSize(), 4);
}

TEST(JobExamplesTest, MnistExampleReadsTheSharedDataFolder) {
  Result<JobSpec> parsed =
      ParseJobSpecFile((fs::path(JOBCTL_SOURCE_DIR) / "jobs/mnist-mlp-ddp.yaml").string());
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  const std::string data =
      (fs::path(JOBCTL_SOURCE_DIR) / "jobs/../../shared/data/mnist").lexically_normal().string();
  EXPECT_EQ(parsed->inputs.at("data").path, data);
  EXPECT_NE(parsed->command.find("--data mnist:" + data + " "), std::string::npos)
      << parsed->command;
  EXPECT_EQ(parsed->WorldSize(), 2);
}

}  // namespace
}  // namespace jobctl
