// Good job specs: every parsed field, defaults, inference and substitution.
#include "common/job_spec/job_spec_parser.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace jobctl {
namespace {

namespace fs = std::filesystem;

fs::path SourceDir() { return fs::path(JOBCTL_SOURCE_DIR); }

JobSpec ParseOk(std::string_view yaml, std::string_view base_dir = "/specs") {
  Result<JobSpec> parsed = ParseJobSpecString(yaml, "job.yaml", base_dir);
  EXPECT_TRUE(parsed.ok()) << parsed.status().message();
  return parsed.ok() ? *parsed : JobSpec{};
}

TEST(JobSpecParserTest, MinimalSpecGetsDefaults) {
  JobSpec spec = ParseOk("command: echo hello\n");
  EXPECT_EQ(spec.command, "echo hello");
  EXPECT_EQ(spec.name, "");
  EXPECT_FALSE(spec.environment.has_value());
  EXPECT_EQ(spec.resources.instance_count, 1);
  EXPECT_EQ(spec.resources.gpus_per_node, 0);
  EXPECT_EQ(spec.resources.cpus_per_node, 0);
  EXPECT_EQ(spec.resources.memory_per_node_bytes, 0);
  EXPECT_EQ(spec.distribution.type, "none");
  EXPECT_EQ(spec.distribution.process_count_per_instance, 1);
  EXPECT_EQ(spec.limits.timeout_seconds, 0);
  EXPECT_EQ(spec.retries, 0);
  EXPECT_EQ(spec.priority, 0);
  EXPECT_TRUE(spec.inputs.empty());
  EXPECT_TRUE(spec.outputs.empty());
  EXPECT_EQ(spec.WorldSize(), 1);
}

TEST(JobSpecParserTest, FullSpecFileSetsEveryField) {
  const fs::path file = SourceDir() / "tests/specs/full/job.yaml";
  Result<JobSpec> parsed = ParseJobSpecFile(file.string());
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  const JobSpec& spec = *parsed;
  const fs::path dir = file.parent_path().lexically_normal();
  EXPECT_EQ(spec.name, "full-example_1.0");
  EXPECT_EQ(spec.display_name, "Every field");
  EXPECT_EQ(spec.experiment_name, "spec-tests");
  EXPECT_EQ(spec.description, "A job that sets every key.\n");
  EXPECT_EQ(spec.tags, (std::map<std::string, std::string>{
                           {"team", "ml"}, {"reviewed", ""}, {"version", "2"}}));
  const std::string data = (dir.parent_path() / "data/mnist").string();
  EXPECT_EQ(spec.command, "python train.py --data " + data +
                              " --lr 0.01 --epochs 5 --flag true --label 42 "
                              "--out ${{outputs.model}}");
  EXPECT_EQ(spec.code, (dir / "src").string());
  ASSERT_TRUE(spec.environment.has_value());
  EXPECT_EQ(spec.environment->image, "ghcr.io/example/trainer:1.2");
  EXPECT_EQ(spec.environment->pull_policy, "always");
  EXPECT_EQ(spec.environment_variables,
            (std::map<std::string, std::string>{
                {"OMP_NUM_THREADS", "4"}, {"MODE", "fast"}, {"EMPTY", ""}}));
  EXPECT_EQ(spec.compute, "gpu-pool");
  EXPECT_EQ(spec.resources.instance_count, 3);
  EXPECT_EQ(spec.resources.gpus_per_node, 2);
  EXPECT_DOUBLE_EQ(spec.resources.cpus_per_node, 7.5);
  EXPECT_EQ(spec.resources.memory_per_node_bytes, 16LL * 1024 * 1024 * 1024);
  EXPECT_EQ(spec.distribution.type, "pytorch");
  EXPECT_EQ(spec.distribution.process_count_per_instance, 2);
  EXPECT_EQ(spec.WorldSize(), 6);

  ASSERT_EQ(spec.inputs.size(), 6u);
  EXPECT_EQ(spec.inputs.at("data").type, "uri_folder");
  EXPECT_EQ(spec.inputs.at("data").path, data);
  EXPECT_EQ(spec.inputs.at("weights").type, "uri_file");
  EXPECT_EQ(spec.inputs.at("weights").path, "/models/w.bin");
  EXPECT_EQ(spec.inputs.at("lr").type, "number");
  EXPECT_EQ(spec.inputs.at("lr").value, "0.01");
  EXPECT_EQ(spec.inputs.at("epochs").type, "integer");
  EXPECT_EQ(spec.inputs.at("epochs").value, "5");
  EXPECT_EQ(spec.inputs.at("flag").type, "boolean");
  EXPECT_EQ(spec.inputs.at("flag").value, "true");
  EXPECT_EQ(spec.inputs.at("label").type, "string");
  EXPECT_EQ(spec.inputs.at("label").value, "42");

  ASSERT_EQ(spec.outputs.size(), 2u);
  EXPECT_EQ(spec.outputs.at("model").type, "uri_folder");
  EXPECT_EQ(spec.outputs.at("model").path, "");
  EXPECT_EQ(spec.outputs.at("report").type, "uri_file");
  EXPECT_EQ(spec.outputs.at("report").path, "reports/report.txt");
  EXPECT_EQ(spec.limits.timeout_seconds, 5400);
  EXPECT_EQ(spec.retries, 2);
  EXPECT_EQ(spec.priority, -5);
}

TEST(JobSpecParserTest, RelativeSpecPathResolvesAgainstItsFolder) {
  const fs::path previous = fs::current_path();
  fs::current_path(SourceDir() / "tests");
  Result<JobSpec> parsed = ParseJobSpecFile("specs/full/job.yaml");
  fs::current_path(previous);
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed->code, (SourceDir() / "tests/specs/full/src").lexically_normal().string());
}

TEST(JobSpecParserTest, BareLiteralInputsInferTheirType) {
  JobSpec spec = ParseOk(
      "command: run ${{inputs.a}} ${{inputs.b}} ${{inputs.c}} ${{inputs.d}} ${{inputs.e}}\n"
      "inputs:\n  a: 7\n  b: -1.5e3\n  c: false\n  d: hello world\n  e: '3'\n");
  EXPECT_EQ(spec.inputs.at("a").type, "integer");
  EXPECT_EQ(spec.inputs.at("b").type, "number");
  EXPECT_EQ(spec.inputs.at("c").type, "boolean");
  EXPECT_EQ(spec.inputs.at("d").type, "string");
  EXPECT_EQ(spec.inputs.at("e").type, "string");
  EXPECT_EQ(spec.command, "run 7 -1.5e3 false hello world 3");
}

TEST(JobSpecParserTest, MapInputWithoutTypeDefaultsByKey) {
  JobSpec spec = ParseOk(
      "command: run\ninputs:\n  folder: {path: data}\n  n: {value: 12}\n  s: {value: \"x\"}\n",
      "/base");
  EXPECT_EQ(spec.inputs.at("folder").type, "uri_folder");
  EXPECT_EQ(spec.inputs.at("folder").path, "/base/data");
  EXPECT_EQ(spec.inputs.at("n").type, "integer");
  EXPECT_EQ(spec.inputs.at("s").type, "string");
}

TEST(JobSpecParserTest, UriInputsBecomeAbsolutePathsInTheCommand) {
  JobSpec spec = ParseOk(
      "command: cat ${{inputs.f}} && ls ${{inputs.d}}\n"
      "inputs:\n  f: {type: uri_file, path: ../x/./f.txt}\n  d: {type: uri_folder, path: "
      "/abs/d/}\n",
      "/base/jobs");
  EXPECT_EQ(spec.command, "cat /base/x/f.txt && ls /abs/d");
}

TEST(JobSpecParserTest, SameInputMayBeUsedTwiceAndSpacesAreAllowed) {
  JobSpec spec = ParseOk("command: echo ${{inputs.n}}-${{ inputs.n }}\ninputs: {n: 3}\n");
  EXPECT_EQ(spec.command, "echo 3-3");
}

TEST(JobSpecParserTest, EnvironmentShorthandIsAnImage) {
  JobSpec spec = ParseOk("command: echo\nenvironment: python:3.12-slim\n");
  ASSERT_TRUE(spec.environment.has_value());
  EXPECT_EQ(spec.environment->image, "python:3.12-slim");
  EXPECT_EQ(spec.environment->pull_policy, "if_not_present");
}

TEST(JobSpecParserTest, EmptyEnvironmentMeansHostProcesses) {
  JobSpec spec = ParseOk("command: echo\nenvironment:\n");
  EXPECT_FALSE(spec.environment.has_value());
}

TEST(JobSpecParserTest, TimeoutAcceptsSecondsAndDurations) {
  EXPECT_EQ(ParseOk("command: x\nlimits: {timeout: 90}\n").limits.timeout_seconds, 90);
  EXPECT_EQ(ParseOk("command: x\nlimits: {timeout: 30s}\n").limits.timeout_seconds, 30);
  EXPECT_EQ(ParseOk("command: x\nlimits: {timeout: 10m}\n").limits.timeout_seconds, 600);
  EXPECT_EQ(ParseOk("command: x\nlimits: {timeout: 2h}\n").limits.timeout_seconds, 7200);
}

TEST(JobSpecParserTest, MemoryUnits) {
  auto memory = [](std::string_view text) {
    return ParseOk("command: x\nresources: {memory_per_node: " + std::string(text) + "}\n")
        .resources.memory_per_node_bytes;
  };
  EXPECT_EQ(memory("512Mi"), 512LL << 20);
  EXPECT_EQ(memory("4Gi"), 4LL << 30);
  EXPECT_EQ(memory("2G"), 2000000000LL);
  EXPECT_EQ(memory("1000000"), 1000000LL);
}

TEST(JobSpecParserTest, OutputsKeepTheirReferenceUntilSubstituted) {
  JobSpec spec = ParseOk(
      "command: train --out ${{outputs.model}} --log ${{ outputs.log }}\n"
      "outputs:\n  model:\n  log: {type: uri_file}\n");
  EXPECT_EQ(spec.command, "train --out ${{outputs.model}} --log ${{ outputs.log }}");
  EXPECT_EQ(spec.outputs.at("model").type, "uri_folder");
  EXPECT_EQ(SubstituteOutputs(spec, "/work/outputs/"),
            "train --out /work/outputs/model --log /work/outputs/log");
}

TEST(SubstituteOutputsTest, LeavesUndeclaredAndOtherTextAlone) {
  JobSpec spec;
  spec.command = "echo $HOME ${{outputs.a}} ${{outputs.b}} ${{inputs.c}}";
  spec.outputs["a"] = JobOutput{};
  EXPECT_EQ(SubstituteOutputs(spec, "/o"), "echo $HOME /o/a ${{outputs.b}} ${{inputs.c}}");
}

TEST(JobSpecParserTest, ResultRoundTripsThroughJson) {
  JobSpec spec = ParseOk(
      "name: rt\ncommand: echo ${{inputs.x}}\ninputs: {x: 1}\nenvironment: {image: alpine}\n"
      "resources: {instance_count: 2}\n");
  nlohmann::json json = spec;
  JobSpec back = json.get<JobSpec>();
  EXPECT_EQ(back.name, "rt");
  EXPECT_EQ(back.command, "echo 1");
  EXPECT_EQ(back.resources.instance_count, 2);
  ASSERT_TRUE(back.environment.has_value());
  EXPECT_EQ(back.environment->image, "alpine");
}

// yaml-cpp's LoadAll loops forever, allocating, on this input (found by
// fuzz/job_spec_fuzzer); the parser must answer with an error instead.
TEST(JobSpecParserTest, InputThatHangsLoadAllIsAnError) {
  Result<JobSpec> parsed = ParseJobSpecFile(
      (SourceDir() / "fuzz/corpus/job_spec/regression-loadall-loop.yaml").string());
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("regression-loadall-loop.yaml:"), std::string::npos)
      << parsed.status().message();
}

}  // namespace
}  // namespace jobctl
