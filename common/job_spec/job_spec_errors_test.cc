// Malformed job specs, each with the exact message the user sees.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/job_spec/job_spec_parser.h"

namespace jobctl {
namespace {

namespace fs = std::filesystem;

struct BadSpec {
  const char* name;
  const char* yaml;
  const char* expected;  // "{DIR}" stands for the spec's folder
};

std::string ReplaceAll(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t pos = 0; (pos = text.find(from, pos)) != std::string::npos; pos += to.size()) {
    text.replace(pos, from.size(), to);
  }
  return text;
}

// The spec's folder: holds a folder "src" and a file "file.txt".
class SpecDir {
 public:
  SpecDir() {
    std::string pattern = (fs::temp_directory_path() / "job_spec_test_XXXXXX").string();
    char* made = mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr);
    path_ = fs::path(pattern);
    fs::create_directory(path_ / "src");
    std::ofstream(path_ / "file.txt") << "not a folder\n";
  }
  ~SpecDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& Path() const { return path_; }

 private:
  fs::path path_;
};

constexpr BadSpec kBadSpecs[] = {
    {"InstanceCountNotANumber",
     "name: hello\ncommand: echo hi\nresources:\n  instance_count: two\n",
     "job.yaml:4:19: resources.instance_count: expected a positive integer, got \"two\""},
    {"InstanceCountZero", "command: echo\nresources:\n  instance_count: 0\n",
     "job.yaml:3:19: resources.instance_count: expected a positive integer, got \"0\""},
    {"InstanceCountFraction", "command: echo\nresources: {instance_count: 2.5}\n",
     "job.yaml:2:29: resources.instance_count: expected a positive integer, got \"2.5\""},
    {"InstanceCountOverflow", "command: echo\nresources: {instance_count: 99999999999}\n",
     "job.yaml:2:29: resources.instance_count: expected a positive integer, got \"99999999999\""},
    {"NestedKeyTypo", "command: echo\nresources:\n  instance_cuont: 2\n",
     "job.yaml:3:3: resources.instance_cuont: unknown key; did you mean \"instance_count\"?"},
    {"TopLevelTypoAndMissingCommand", "comand: echo hi\n",
     "job.yaml:1:1: comand: unknown key; did you mean \"command\"?\n"
     "job.yaml:1:1: command: required key is missing"},
    {"UnknownKeyNoSuggestion", "command: echo\nzzz: 1\n",
     "job.yaml:2:1: zzz: unknown key; expected one of: $schema, type, name, display_name, "
     "experiment_name, description, tags, command, code, environment, environment_variables, "
     "compute, resources, distribution, inputs, outputs, limits, retries, priority"},
    {"SectionKeyAtTopLevel", "command: echo\ntimeout: 10m\ngpus_per_node: 1\n",
     "job.yaml:2:1: timeout: unknown key; did you mean \"limits.timeout\"?\n"
     "job.yaml:3:1: gpus_per_node: unknown key; did you mean \"resources.gpus_per_node\"?"},
    {"EnvVarTorchelasticReserved",
     "command: echo\nenvironment_variables: {TORCHELASTIC_RUN_ID: x}\n",
     "job.yaml:2:25: environment_variables.TORCHELASTIC_RUN_ID: reserved: jobctl sets this "
     "variable for every rank"},
    {"MissingCommand", "name: hello\n", "job.yaml:1:1: command: required key is missing"},
    {"EmptyFile", "", "job.yaml:1:1: command: required key is missing"},
    {"EmptyCommand", "command: \"\"\n",
     "job.yaml:1:10: command: expected a non-empty string, got \"\""},
    {"NullCommand", "name: x\ncommand:\n",
     "job.yaml:2:1: command: expected a non-empty string, got an empty value"},
    {"CommandSequence", "command:\n  - echo\n  - hi\n",
     "job.yaml:2:3: command: expected a non-empty string, got a sequence"},
    {"RootSequence", "- command\n",
     "job.yaml:1:1: expected a mapping of job spec keys, got a sequence"},
    {"RootScalar", "hello\n", "job.yaml:1:1: expected a mapping of job spec keys, got \"hello\""},
    {"SyntaxErrorFlow", "command: echo\nresources: {instance_count: 2\n",
     "job.yaml:3:1: YAML syntax error: end of map flow not found"},
    {"SyntaxErrorIndent", "command: echo\n  name: x\n",
     "job.yaml:2:7: YAML syntax error: illegal map value"},
    {"TwoDocuments", "command: echo\n---\ncommand: echo\n",
     "job.yaml:3:1: expected a single YAML document, found a second one here"},
    {"StrayCommaAfterMap", "command: echo\n,\n",
     "job.yaml:2:1: YAML syntax error: end of map not found"},
    {"DuplicateKey", "command: echo a\nretries: 1\ncommand: echo b\n",
     "job.yaml:3:1: command: duplicate key (first given at line 1)"},
    {"NonScalarKey", "command: echo\n? [a, b]\n: 1\n",
     "job.yaml:2:3: keys must be strings, got a sequence"},
    {"WrongJobType", "type: sweep\ncommand: echo\n",
     "job.yaml:1:7: type: only \"command\" jobs are supported, got \"sweep\""},
    {"BadName", "name: my job\ncommand: echo\n",
     "job.yaml:1:7: name: expected letters, digits, '-', '_' and '.', starting with a letter or "
     "digit (at most 255), got \"my job\""},
    {"TagsSequence", "command: echo\ntags: [a, b]\n",
     "job.yaml:2:7: tags: expected a mapping, got a sequence"},
    {"TagValueMapping", "command: echo\ntags:\n  team: {a: 1}\n",
     "job.yaml:3:9: tags.team: expected a string, got a mapping"},
    {"GpusNegative", "command: echo\nresources:\n  gpus_per_node: -1\n",
     "job.yaml:3:18: resources.gpus_per_node: expected a non-negative integer, got \"-1\""},
    {"CpusZero", "command: echo\nresources:\n  cpus_per_node: 0\n",
     "job.yaml:3:18: resources.cpus_per_node: expected a positive number, got \"0\""},
    {"CpusText", "command: echo\nresources:\n  cpus_per_node: many\n",
     "job.yaml:3:18: resources.cpus_per_node: expected a positive number, got \"many\""},
    {"MemoryText", "command: echo\nresources:\n  memory_per_node: lots\n",
     "job.yaml:3:20: resources.memory_per_node: expected a memory size such as 512Mi, 4Gi, 2G "
     "or a number of bytes, got \"lots\""},
    {"MemoryBadUnit", "command: echo\nresources:\n  memory_per_node: 4Gb\n",
     "job.yaml:3:20: resources.memory_per_node: expected a memory size such as 512Mi, 4Gi, 2G "
     "or a number of bytes, got \"4Gb\""},
    {"ResourcesScalar", "command: echo\nresources: big\n",
     "job.yaml:2:12: resources: expected a mapping, got \"big\""},
    {"DistributionMpi", "command: echo\ndistribution:\n  type: mpi\n",
     "job.yaml:3:9: distribution.type: expected one of \"pytorch\", \"none\", got \"mpi\""},
    {"DistributionTypo", "command: echo\ndistribution:\n  type: pytoch\n",
     "job.yaml:3:9: distribution.type: expected one of \"pytorch\", \"none\", got \"pytoch\"; "
     "did you mean \"pytorch\"?"},
    {"DistributionWithoutType", "command: echo\ndistribution: {process_count_per_instance: 2}\n",
     "job.yaml:2:15: distribution.type: required key is missing"},
    {"ProcessCountZero",
     "command: echo\ndistribution:\n  type: pytorch\n  process_count_per_instance: 0\n",
     "job.yaml:4:31: distribution.process_count_per_instance: expected a positive integer, got "
     "\"0\""},
    {"TimeoutText", "command: echo\nlimits:\n  timeout: soon\n",
     "job.yaml:3:12: limits.timeout: expected a positive number of seconds or a duration such "
     "as 30s, 10m or 2h, got \"soon\""},
    {"TimeoutZero", "command: echo\nlimits:\n  timeout: 0s\n",
     "job.yaml:3:12: limits.timeout: expected a positive number of seconds or a duration such "
     "as 30s, 10m or 2h, got \"0s\""},
    {"TimeoutTypo", "command: echo\nlimits:\n  timout: 10\n",
     "job.yaml:3:3: limits.timout: unknown key; did you mean \"timeout\"?"},
    {"RetriesNegative", "command: echo\nretries: -1\n",
     "job.yaml:2:10: retries: expected a non-negative integer, got \"-1\""},
    {"PriorityText", "command: echo\npriority: high\n",
     "job.yaml:2:11: priority: expected an integer, got \"high\""},
    {"ComputeBadName", "command: echo\ncompute: my pool\n",
     "job.yaml:2:10: compute: expected a pool name of letters, digits, '-', '_' and '.', got "
     "\"my pool\""},
    {"EnvVarReserved", "command: echo\nenvironment_variables:\n  RANK: 3\n",
     "job.yaml:3:3: environment_variables.RANK: reserved: jobctl sets this variable for every "
     "rank"},
    {"EnvVarJobctlPrefix", "command: echo\nenvironment_variables:\n  JOBCTL_JOB_ID: x\n",
     "job.yaml:3:3: environment_variables.JOBCTL_JOB_ID: reserved: jobctl sets this variable "
     "for every rank"},
    {"EnvVarBadName", "command: echo\nenvironment_variables:\n  1X: a\n",
     "job.yaml:3:3: environment_variables.1X: not a valid variable name; use letters, digits "
     "and '_', not starting with a digit"},
    {"EnvVarEmpty", "command: echo\nenvironment_variables:\n  A:\n",
     "job.yaml:3:3: environment_variables.A: expected a string, got an empty value (write \"\" "
     "for an empty string)"},
    {"EnvVarSequence", "command: echo\nenvironment_variables:\n  A: [1, 2]\n",
     "job.yaml:3:6: environment_variables.A: expected a string, got a sequence"},
    {"ImageMissing", "command: echo\nenvironment:\n  pull_policy: always\n",
     "job.yaml:3:3: environment.image: required key is missing"},
    {"PullPolicyTypo", "command: echo\nenvironment:\n  image: alpine\n  pull_policy: Always\n",
     "job.yaml:4:16: environment.pull_policy: expected one of \"always\", \"if_not_present\", "
     "\"never\", got \"Always\"; did you mean \"always\"?"},
    {"AzureEnvironment", "command: echo\nenvironment: azureml:sklearn@latest\n",
     "job.yaml:2:14: environment: Azure ML registered environments are not supported, got "
     "\"azureml:sklearn@latest\"; give an OCI image reference"},
    {"EnvironmentUnknownKey", "command: echo\nenvironment:\n  image: alpine\n  conda_file: c.yml\n",
     "job.yaml:4:3: environment.conda_file: unknown key; expected one of: image, pull_policy"},
    {"CodeMissing", "command: echo\ncode: nope\n",
     "job.yaml:2:7: code: folder \"{DIR}/nope\" does not exist"},
    {"CodeIsFile", "command: echo\ncode: ./file.txt\n",
     "job.yaml:2:7: code: \"{DIR}/file.txt\" is not a folder"},
    {"UndefinedInput",
     "command: python train.py --lr ${{inputs.lr}}\ninputs:\n  data:\n    type: uri_folder\n"
     "    path: ./src\n  epochs: 3\n",
     "job.yaml:1:10: command: ${{inputs.lr}} refers to an input that is not defined; defined "
     "inputs: data, epochs"},
    {"UndefinedOutput", "command: echo > ${{outputs.model}}/x\n",
     "job.yaml:1:10: command: ${{outputs.model}} refers to an output that is not defined; "
     "defined outputs: (none)"},
    {"InvalidReference", "command: echo ${{input.x}}\n",
     "job.yaml:1:10: command: ${{input.x}} is not a valid reference; expected ${{inputs.NAME}} "
     "or ${{outputs.NAME}}"},
    {"UnterminatedReference", "command: echo ${{inputs.x\ninputs: {x: 1}\n",
     "job.yaml:1:10: command: \"${{\" at offset 5 has no closing \"}}\""},
    {"InputTypeUnknown", "command: echo\ninputs:\n  d: {type: uri_dir, path: .}\n",
     "job.yaml:3:13: inputs.d.type: expected one of \"uri_file\", \"uri_folder\", \"string\", "
     "\"integer\", \"number\", \"boolean\", got \"uri_dir\""},
    {"UriInputWithValue", "command: echo\ninputs:\n  d:\n    type: uri_file\n    value: x\n",
     "job.yaml:5:5: inputs.d.value: not allowed for type uri_file; use \"path\""},
    {"UriInputWithoutPath", "command: echo\ninputs:\n  d:\n    type: uri_folder\n",
     "job.yaml:4:5: inputs.d.path: required key is missing"},
    {"LiteralInputWithPath", "command: echo\ninputs:\n  n: {type: integer, path: ./x}\n",
     "job.yaml:3:22: inputs.n.path: not allowed for type integer; use \"value\""},
    {"IntegerInputText", "command: echo\ninputs:\n  n: {type: integer, value: ten}\n",
     "job.yaml:3:29: inputs.n.value: expected an integer, got \"ten\""},
    {"NumberInputText", "command: echo\ninputs:\n  lr: {type: number, value: fast}\n",
     "job.yaml:3:29: inputs.lr.value: expected a number, got \"fast\""},
    {"BooleanInputText", "command: echo\ninputs:\n  f: {type: boolean, value: maybe}\n",
     "job.yaml:3:29: inputs.f.value: expected true or false, got \"maybe\""},
    {"RemoteInputPath", "command: echo\ninputs:\n  d: {type: uri_file, path: \"https://x/y\"}\n",
     "job.yaml:3:29: inputs.d.path: only local paths (or file://) are supported, got "
     "\"https://x/y\""},
    {"InputNameInvalid", "command: echo\ninputs:\n  my-data: 1\n",
     "job.yaml:3:3: inputs.my-data: input names may hold only letters, digits and '_' and must "
     "not start with a digit"},
    {"InputSequence", "command: echo\ninputs:\n  d: [1]\n",
     "job.yaml:3:6: inputs.d: expected a literal value or a mapping with \"type\" and \"path\" or "
     "\"value\", got a sequence"},
    {"InputKeyTypo", "command: echo\ninputs:\n  x:\n    type: string\n    vaule: hi\n",
     "job.yaml:4:5: inputs.x.value: required key is missing\n"
     "job.yaml:5:5: inputs.x.vaule: unknown key; did you mean \"value\"?"},
    {"InputNeitherPathNorValue", "command: echo\ninputs:\n  x: {mode: download}\n",
     "job.yaml:3:6: inputs.x: expected \"path\" (with type uri_file or uri_folder) or \"value\" "
     "(with type string, integer, number or boolean)"},
    {"OutputScalar", "command: echo\noutputs:\n  model: ./out\n",
     "job.yaml:3:10: outputs.model: expected a mapping with \"type\" (uri_folder or uri_file) "
     "and an optional \"path\", got \"./out\""},
    {"OutputTypeLiteral", "command: echo\noutputs:\n  model: {type: string}\n",
     "job.yaml:3:17: outputs.model.type: expected one of \"uri_folder\", \"uri_file\", got "
     "\"string\""},
    {"ManyProblemsInFileOrder",
     "command: echo ${{inputs.missing}}\nresources:\n  instance_count: -2\n  gpus: 1\n"
     "retries: many\n",
     "job.yaml:1:10: command: ${{inputs.missing}} refers to an input that is not defined; "
     "defined inputs: (none)\n"
     "job.yaml:3:19: resources.instance_count: expected a positive integer, got \"-2\"\n"
     "job.yaml:4:3: resources.gpus: unknown key; did you mean \"gpus_per_node\"?\n"
     "job.yaml:5:10: retries: expected a non-negative integer, got \"many\""},
};

class BadSpecTest : public testing::TestWithParam<BadSpec> {
 protected:
  SpecDir dir_;
};

TEST_P(BadSpecTest, ReportsExactMessage) {
  const BadSpec& bad = GetParam();
  Result<JobSpec> parsed = ParseJobSpecString(bad.yaml, "job.yaml", dir_.Path().string());
  ASSERT_FALSE(parsed.ok()) << "parsed without error:\n" << bad.yaml;
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(parsed.status().message(), ReplaceAll(bad.expected, "{DIR}", dir_.Path().string()));
}

INSTANTIATE_TEST_SUITE_P(Table, BadSpecTest, testing::ValuesIn(kBadSpecs),
                         [](const testing::TestParamInfo<BadSpec>& info) {
                           return std::string(info.param.name);
                         });

TEST(BadSpecTableTest, HasAtLeastThirtyFiveCases) { EXPECT_GE(std::size(kBadSpecs), 35u); }

TEST(ParseJobSpecFileTest, MissingFileSaysCannotRead) {
  Result<JobSpec> parsed = ParseJobSpecFile("/nonexistent/dir/job.yaml");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(parsed.status().message(),
            "/nonexistent/dir/job.yaml: cannot read: No such file or directory");
}

TEST(ParseJobSpecFileTest, DirectorySaysCannotRead) {
  SpecDir dir;
  Result<JobSpec> parsed = ParseJobSpecFile(dir.Path().string());
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().message(), dir.Path().string() + ": cannot read: Is a directory");
}

TEST(ParseJobSpecFileTest, MessagesNameTheFileAsGiven) {
  SpecDir dir;
  const fs::path file = dir.Path() / "bad.yaml";
  std::ofstream(file) << "command: echo\nretries: x\n";
  Result<JobSpec> parsed = ParseJobSpecFile(file.string());
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().message(),
            file.string() + ":2:10: retries: expected a non-negative integer, got \"x\"");
}

}  // namespace
}  // namespace jobctl
