// The spec's size limits as the CLI's parser applies them.
#include "common/job_spec/spec_limits.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/job_spec/job_spec_parser.h"
#include "common/protocol/limits.h"

namespace jobctl {
namespace {

TEST(LimitCheckTest, NamesTheFieldTheSizesAndTheLimit) {
  protocol::LimitCheck check("submit_job");
  check.Bytes("code_archive", 70 * protocol::kMiB, protocol::kMaxCodeArchiveBytes,
              "code_archive_bytes");
  check.Count("tags", 2000, 1024, "map_entries");  // the first limit passed is kept
  EXPECT_FALSE(check.ok());
  EXPECT_EQ(check.limit(), "code_archive_bytes");
  EXPECT_EQ(check.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(check.status().message(),
            "submit_job: code_archive is 70 MiB, over the limit of 64 MiB (code_archive_bytes)");
  protocol::LimitCheck close("x");
  close.Bytes("line", 16 * 1024 + 1, 16 * 1024, "line_bytes");
  EXPECT_EQ(close.status().message(),
            "x: line is 16385 bytes, over the limit of 16384 bytes (line_bytes)");
  protocol::LimitCheck fine("x");
  fine.Bytes("line", 10, 10, "line_bytes").Count("tags", 0, 0, "map_entries");
  EXPECT_TRUE(fine.ok());
  EXPECT_TRUE(fine.status().ok());
}

TEST(SpecLimitsTest, OversizedSpecFileIsRefusedUnparsed) {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("spec_limits_" + std::to_string(::getpid()) + ".yaml");
  {
    std::ofstream out(path);
    out << "name: x\ncommand: echo\n# " << std::string(protocol::kMaxSpecFileBytes, 'c') << "\n";
  }
  auto spec = ParseJobSpecFile(path.string());
  const auto size = std::filesystem::file_size(path);
  std::filesystem::remove(path);
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(spec.status().message(),
            path.string() + ": the spec is " + std::to_string(size) + " bytes, over the limit of " +
                std::to_string(protocol::kMaxSpecFileBytes) + " bytes (spec_file_bytes)");
}

TEST(SpecLimitsTest, TooManyEnvironmentVariablesAreRefused) {
  std::string yaml = "command: echo\nenvironment_variables:\n";
  for (size_t i = 0; i <= protocol::kMaxMapEntries; ++i) {
    yaml += "  V" + std::to_string(i) + ": x\n";
  }
  auto spec = ParseJobSpecString(yaml, "job.yaml", "/tmp");
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().message(),
            "job.yaml: environment_variables is 1025 entries, over the limit of 1024 "
            "(map_entries)");
}

TEST(SpecLimitsTest, SubstitutedCommandPastItsLimitIsRefused) {
  // 64 references to a 32 KiB input: a 2 MiB command from a small file.
  std::string yaml = "command: echo";
  for (int i = 0; i < 64; ++i) yaml += " ${{inputs.big}}";
  yaml += "\ninputs:\n  big: " + std::string(32 * 1024, 'b') + "\n";
  auto spec = ParseJobSpecString(yaml, "job.yaml", "/tmp");
  ASSERT_FALSE(spec.ok());
  EXPECT_NE(spec.status().message().find("job.yaml: command is 2.0 MiB, over the limit of 1 MiB "
                                         "(command_bytes)"),
            std::string::npos)
      << spec.status().message();
}

TEST(SpecLimitsTest, SpecsWithinTheLimitsParse) {
  auto spec = ParseJobSpecString("name: ok\ncommand: echo hi\ntags:\n  a: b\n", "job.yaml", "/tmp");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_LT(EncodedJobSpecBytes(*spec), protocol::kMaxSpecEncodedBytes);
}

}  // namespace
}  // namespace jobctl
