#include "common/job_spec/job_spec_parser.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>
#include <yaml-cpp/yaml.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <set>
#include <sstream>
#include <system_error>

#include "common/job_spec/command_template.h"
#include "common/job_spec/job_spec_io.h"
#include "common/job_spec/quantity.h"
#include "common/job_spec/spec_diagnostics.h"
#include "common/job_spec/spec_limits.h"
#include "common/job_spec/spec_reader.h"
#include "common/protocol/limit_check.h"
#include "common/protocol/limits.h"

namespace jobctl {
namespace {

namespace fs = std::filesystem;

constexpr std::array<std::string_view, 19> kTopLevelKeys = {"$schema",
                                                            "type",
                                                            "name",
                                                            "display_name",
                                                            "experiment_name",
                                                            "description",
                                                            "tags",
                                                            "command",
                                                            "code",
                                                            "environment",
                                                            "environment_variables",
                                                            "compute",
                                                            "resources",
                                                            "distribution",
                                                            "inputs",
                                                            "outputs",
                                                            "limits",
                                                            "retries",
                                                            "priority"};
// Keys of sections written at the top level by mistake.
constexpr std::array<std::pair<std::string_view, std::string_view>, 8> kSectionKeys = {{
    {"image", "environment.image"},
    {"instance_count", "resources.instance_count"},
    {"gpus_per_node", "resources.gpus_per_node"},
    {"cpus_per_node", "resources.cpus_per_node"},
    {"memory_per_node", "resources.memory_per_node"},
    {"process_count_per_instance", "distribution.process_count_per_instance"},
    {"timeout", "limits.timeout"},
    {"env", "environment_variables"},
}};
constexpr std::array<std::string_view, 2> kEnvironmentKeys = {"image", "pull_policy"};
constexpr std::array<std::string_view, 3> kPullPolicies = {"always", "if_not_present", "never"};
constexpr std::array<std::string_view, 4> kResourceKeys = {"instance_count", "gpus_per_node",
                                                           "cpus_per_node", "memory_per_node"};
constexpr std::array<std::string_view, 2> kDistributionKeys = {"type",
                                                               "process_count_per_instance"};
constexpr std::array<std::string_view, 2> kDistributionTypes = {"pytorch", "none"};
constexpr std::array<std::string_view, 1> kLimitKeys = {"timeout"};
// Set by jobctl for every rank (docs/job-spec.md); a job may not override them.
constexpr std::array<std::string_view, 11> kReservedVariables = {
    "RANK",        "WORLD_SIZE",  "LOCAL_RANK",         "LOCAL_WORLD_SIZE",
    "NODE_RANK",   "GROUP_RANK",  "ROLE_RANK",          "ROLE_WORLD_SIZE",
    "MASTER_ADDR", "MASTER_PORT", "TORCHELASTIC_RUN_ID"};
constexpr std::string_view kAzurePrefix = "azureml:";
constexpr int64_t kIntMax = std::numeric_limits<int>::max();
constexpr int64_t kIntMin = std::numeric_limits<int>::min();

// Names of jobs, experiments and pools: [A-Za-z0-9][A-Za-z0-9._-]{0,254}.
bool IsResourceName(std::string_view name) {
  if (name.empty() || name.size() > 255) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '-' && c != '_' && c != '.'))) return false;
  }
  return true;
}

bool HasWhitespace(std::string_view text) {
  return text.find_first_of(" \t\r\n") != std::string_view::npos;
}

// Where a second YAML document starts, if there is one. yaml-cpp 0.7's
// LoadAll loops forever, allocating, on some malformed inputs (a stray ','
// at the top level, found by fuzz/job_spec_fuzzer); looking at no more than
// two documents with the event parser cannot loop.
class DocumentStarts : public YAML::EventHandler {
 public:
  // A document's mark is its first node's (as LoadAll's nodes had), else the
  // document start's.
  void OnDocumentStart(const YAML::Mark& mark) override {
    starts.push_back(mark);
    first_node_seen_ = false;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { Node(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { Node(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    Node(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    Node(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    Node(mark);
  }
  void OnMapEnd() override {}

  std::vector<YAML::Mark> starts;

 private:
  void Node(const YAML::Mark& mark) {
    if (first_node_seen_ || starts.empty()) return;
    first_node_seen_ = true;
    starts.back() = mark;
  }
  bool first_node_seen_ = false;
};

std::optional<YAML::Mark> SecondDocumentStart(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStarts handler;
  for (int i = 0; i < 2 && parser.HandleNextDocument(handler); ++i) {
  }
  if (handler.starts.size() < 2) return std::nullopt;
  return handler.starts[1];
}

// One parse of one document; collects every problem before giving up.
class JobSpecParser {
 public:
  JobSpecParser(std::string_view file_name, fs::path base_dir)
      : diag_(std::string(file_name)), base_dir_(std::move(base_dir)) {}

  Result<JobSpec> Parse(std::string_view yaml) {
    try {
      std::string text(yaml);
      if (std::optional<YAML::Mark> second = SecondDocumentStart(text)) {
        diag_.Add(*second, "", "expected a single YAML document, found a second one here");
      }
      SpecField root;
      root.node = YAML::Load(text);
      root.mark = root.node.Mark();
      if (root.mark.is_null()) root.mark = YAML::Mark();
      root.key_mark = root.mark;
      ParseRoot(root);
    } catch (const YAML::Exception& e) {
      diag_.Add(e.mark, "", "YAML syntax error: " + e.msg);
    }
    JOBCTL_RETURN_IF_ERROR(diag_.ToStatus());
    return std::move(spec_);
  }

 private:
  void ParseRoot(const SpecField& root) {
    if (!root.node.IsNull() && root.node.IsDefined() && !root.node.IsMap()) {
      diag_.Add(root.mark, "",
                "expected a mapping of job spec keys, got " + DescribeValue(root.node));
      return;
    }
    std::optional<SpecMap> map = SpecMap::Read(root, kTopLevelKeys, diag_, kSectionKeys);
    if (!map) return;
    if (const SpecField* f = map->Find("$schema")) (void)ReadString(*f, diag_);
    if (const SpecField* f = map->Find("type")) {
      std::optional<std::string> type = ReadString(*f, diag_);
      if (type && *type != "command") {
        diag_.Add(f->mark, f->path,
                  "only \"command\" jobs are supported, got " + DescribeValue(f->node));
      }
    }
    ReadName(map->Find("name"), &spec_.name);
    if (const SpecField* f = map->Find("display_name"))
      Assign(ReadString(*f, diag_), &spec_.display_name);
    ReadName(map->Find("experiment_name"), &spec_.experiment_name);
    if (const SpecField* f = map->Find("description"))
      Assign(ReadString(*f, diag_), &spec_.description);
    if (const SpecField* f = map->Find("tags")) {
      Assign(ReadStringMap(*f, diag_, /*empty_value_allowed=*/true), &spec_.tags);
    }
    if (const SpecField* f = map->Find("code")) ParseCode(*f);
    if (const SpecField* f = map->Find("environment")) ParseEnvironment(*f);
    if (const SpecField* f = map->Find("environment_variables")) ParseEnvironmentVariables(*f);
    if (const SpecField* f = map->Find("compute")) ParseCompute(*f);
    if (const SpecField* f = map->Find("resources")) ParseResources(*f);
    if (const SpecField* f = map->Find("distribution")) ParseDistribution(*f);
    if (const SpecField* f = map->Find("inputs")) {
      spec_.inputs = ParseInputs(*f, base_dir_, diag_, declared_inputs_);
    }
    if (const SpecField* f = map->Find("outputs")) {
      spec_.outputs = ParseOutputs(*f, diag_, declared_outputs_);
    }
    if (const SpecField* f = map->Find("limits")) ParseLimits(*f);
    if (const SpecField* f = map->Find("retries")) {
      Assign(ReadInteger(*f, diag_, 0, kIntMax, "a non-negative integer"), &spec_.retries);
    }
    if (const SpecField* f = map->Find("priority")) {
      Assign(ReadInteger(*f, diag_, kIntMin, kIntMax, "an integer"), &spec_.priority);
    }
    // Last: substitution needs the inputs and outputs.
    if (const SpecField* f = map->Require("command", diag_)) ParseCommand(*f);
  }

  template <typename From, typename To>
  static void Assign(const std::optional<From>& value, To* out) {
    if (value) *out = static_cast<To>(*value);
  }

  void ReadName(const SpecField* field, std::string* out) {
    if (field == nullptr) return;
    std::optional<std::string> name = ReadString(*field, diag_);
    if (!name) return;
    if (!IsResourceName(*name)) {
      diag_.Add(field->mark, field->path,
                "expected letters, digits, '-', '_' and '.', starting with a letter or digit "
                "(at most 255), got " +
                    DescribeValue(field->node));
      return;
    }
    *out = *name;
  }

  void ParseCode(const SpecField& field) {
    std::optional<std::string> code = ReadString(field, diag_, /*non_empty=*/true);
    if (!code) return;
    fs::path path(*code);
    if (path.is_relative()) path = base_dir_ / path;
    std::string resolved = path.lexically_normal().string();
    while (resolved.size() > 1 && resolved.back() == '/') resolved.pop_back();
    std::error_code error;
    const fs::file_status status = fs::status(resolved, error);
    if (!fs::exists(status)) {
      diag_.Add(field.mark, field.path, "folder \"" + resolved + "\" does not exist");
      return;
    }
    if (!fs::is_directory(status)) {
      diag_.Add(field.mark, field.path, "\"" + resolved + "\" is not a folder");
      return;
    }
    spec_.code = resolved;
  }

  void ParseEnvironment(const SpecField& field) {
    if (field.node.IsNull()) return;  // host processes
    JobEnvironment environment;
    if (field.node.IsScalar()) {  // shorthand: `environment: python:3.12-slim`
      std::optional<std::string> image = ReadImage(field);
      if (!image) return;
      environment.image = *image;
      spec_.environment = environment;
      return;
    }
    std::optional<SpecMap> map = SpecMap::Read(field, kEnvironmentKeys, diag_);
    if (!map) return;
    bool ok = true;
    if (const SpecField* f = map->Require("image", diag_)) {
      std::optional<std::string> image = ReadImage(*f);
      ok = image.has_value();
      if (image) environment.image = *image;
    } else {
      ok = false;
    }
    if (const SpecField* f = map->Find("pull_policy")) {
      std::optional<std::string> policy = ReadEnum(*f, diag_, kPullPolicies);
      ok = ok && policy.has_value();
      if (policy) environment.pull_policy = *policy;
    }
    if (ok) spec_.environment = environment;
  }

  std::optional<std::string> ReadImage(const SpecField& field) {
    std::optional<std::string> image = ReadString(field, diag_, /*non_empty=*/true);
    if (!image) return std::nullopt;
    if (image->starts_with(kAzurePrefix)) {
      diag_.Add(field.mark, field.path,
                "Azure ML registered environments are not supported, got " +
                    DescribeValue(field.node) + "; give an OCI image reference");
      return std::nullopt;
    }
    if (HasWhitespace(*image)) {
      diag_.Add(field.mark, field.path,
                "an image reference has no spaces, got " + DescribeValue(field.node));
      return std::nullopt;
    }
    return image;
  }

  void ParseEnvironmentVariables(const SpecField& field) {
    std::optional<SpecMap> map = SpecMap::Read(field, {}, diag_);
    if (!map) return;
    bool ok = true;
    std::map<std::string, std::string> variables;
    for (const auto& [name, entry] : map->entries()) {
      bool reserved = name.starts_with("JOBCTL_");
      for (std::string_view r : kReservedVariables) reserved = reserved || r == name;
      if (!IsReferenceName(name)) {
        diag_.Add(entry.key_mark, entry.path,
                  "not a valid variable name; use letters, digits and '_', not starting with a "
                  "digit");
        ok = false;
      } else if (reserved) {
        diag_.Add(entry.key_mark, entry.path, "reserved: jobctl sets this variable for every rank");
        ok = false;
      } else if (!entry.node.IsScalar()) {
        std::string what = "expected a string, got " + DescribeValue(entry.node);
        if (!entry.node.IsMap() && !entry.node.IsSequence()) {
          what += " (write \"\" for an empty string)";
        }
        diag_.Add(entry.mark, entry.path, std::move(what));
        ok = false;
      } else {
        variables[name] = entry.node.Scalar();
      }
    }
    if (ok) spec_.environment_variables = std::move(variables);
  }

  void ParseCompute(const SpecField& field) {
    std::optional<std::string> compute = ReadString(field, diag_, /*non_empty=*/true);
    if (!compute) return;
    std::string_view pool = *compute;
    if (pool.starts_with(kAzurePrefix)) pool.remove_prefix(kAzurePrefix.size());
    if (!IsResourceName(pool)) {
      diag_.Add(field.mark, field.path,
                "expected a pool name of letters, digits, '-', '_' and '.', got " +
                    DescribeValue(field.node));
      return;
    }
    spec_.compute = std::string(pool);
  }

  void ParseResources(const SpecField& field) {
    std::optional<SpecMap> map = SpecMap::Read(field, kResourceKeys, diag_);
    if (!map) return;
    JobResources& r = spec_.resources;
    if (const SpecField* f = map->Find("instance_count")) {
      Assign(ReadInteger(*f, diag_, 1, kIntMax, "a positive integer"), &r.instance_count);
    }
    if (const SpecField* f = map->Find("gpus_per_node")) {
      Assign(ReadInteger(*f, diag_, 0, kIntMax, "a non-negative integer"), &r.gpus_per_node);
    }
    if (const SpecField* f = map->Find("cpus_per_node")) {
      Assign(ReadPositiveNumber(*f, diag_), &r.cpus_per_node);
    }
    if (const SpecField* f = map->Find("memory_per_node")) {
      std::optional<int64_t> bytes;
      if (f->node.IsScalar()) bytes = ParseMemorySize(f->node.Scalar());
      if (!bytes || *bytes <= 0) {
        diag_.Add(f->mark, f->path,
                  "expected a memory size such as 512Mi, 4Gi, 2G or a number of bytes, got " +
                      DescribeValue(f->node));
      } else {
        r.memory_per_node_bytes = *bytes;
      }
    }
  }

  void ParseDistribution(const SpecField& field) {
    std::optional<SpecMap> map = SpecMap::Read(field, kDistributionKeys, diag_);
    if (!map || field.node.IsNull()) return;
    if (const SpecField* f = map->Require("type", diag_)) {
      Assign(ReadEnum(*f, diag_, kDistributionTypes), &spec_.distribution.type);
    }
    if (const SpecField* f = map->Find("process_count_per_instance")) {
      Assign(ReadInteger(*f, diag_, 1, kIntMax, "a positive integer"),
             &spec_.distribution.process_count_per_instance);
    }
  }

  void ParseLimits(const SpecField& field) {
    std::optional<SpecMap> map = SpecMap::Read(field, kLimitKeys, diag_);
    if (!map) return;
    if (const SpecField* f = map->Find("timeout")) {
      std::optional<int64_t> seconds;
      if (f->node.IsScalar()) seconds = ParseDurationSeconds(f->node.Scalar());
      if (!seconds || *seconds <= 0) {
        diag_.Add(f->mark, f->path,
                  "expected a positive number of seconds or a duration such as 30s, 10m or 2h, "
                  "got " +
                      DescribeValue(f->node));
      } else {
        spec_.limits.timeout_seconds = *seconds;
      }
    }
  }

  void ParseCommand(const SpecField& field) {
    std::optional<std::string> command = ReadString(field, diag_, /*non_empty=*/true);
    if (!command) return;
    const CommandTemplate scanned = ScanCommandTemplate(*command);
    for (const std::string& problem : scanned.problems) diag_.Add(field.mark, field.path, problem);
    std::set<std::string> reported;
    for (const CommandReference& reference : scanned.references) {
      const bool input = reference.kind == CommandReference::Kind::kInput;
      const DeclaredNames& declared = input ? declared_inputs_ : declared_outputs_;
      const std::string canonical =
          std::string(input ? "${{inputs." : "${{outputs.") + reference.name + "}}";
      if (declared.Contains(reference.name) || !reported.insert(canonical).second) continue;
      diag_.Add(field.mark, field.path,
                canonical + " refers to an " + (input ? "input" : "output") +
                    " that is not defined; defined " + (input ? "inputs" : "outputs") + ": " +
                    declared.Joined());
    }
    spec_.command = ReplaceReferences(
        *command, [this](const CommandReference& reference) -> std::optional<std::string> {
          if (reference.kind != CommandReference::Kind::kInput) return std::nullopt;
          auto it = spec_.inputs.find(reference.name);
          if (it == spec_.inputs.end()) return std::nullopt;
          const JobInput& input = it->second;
          return input.type == "uri_file" || input.type == "uri_folder" ? input.path : input.value;
        });
  }

  SpecDiagnostics diag_;
  fs::path base_dir_;
  JobSpec spec_;
  DeclaredNames declared_inputs_;
  DeclaredNames declared_outputs_;
};

fs::path AbsoluteDir(std::string_view dir) {
  std::error_code error;
  fs::path path = dir.empty() ? fs::current_path(error) : fs::absolute(fs::path(dir), error);
  return path.lexically_normal();
}

}  // namespace

Result<JobSpec> ParseJobSpecString(std::string_view yaml, std::string_view file_name,
                                   std::string_view base_dir) {
  if (yaml.size() > protocol::kMaxSpecFileBytes) {
    protocol::LimitCheck too_big(file_name);
    too_big.Bytes("the spec", yaml.size(), protocol::kMaxSpecFileBytes, "spec_file_bytes");
    return too_big.status();
  }
  JobSpecParser parser(file_name, AbsoluteDir(base_dir));
  JOBCTL_ASSIGN_OR_RETURN(JobSpec spec, parser.Parse(yaml));
  protocol::LimitCheck check(file_name);
  CheckJobSpecLimits(spec, "", check);
  JOBCTL_RETURN_IF_ERROR(check.status());
  return spec;
}

Result<JobSpec> ParseJobSpecFile(const std::string& path) {
  std::error_code error;
  if (fs::is_directory(path, error)) {
    return InvalidArgumentError(path + ": cannot read: " + std::strerror(EISDIR));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int saved_errno = errno;
    return InvalidArgumentError(
        path + ": cannot read: " + std::strerror(saved_errno != 0 ? saved_errno : ENOENT));
  }
  // A huge file is refused unread (its size named), and at most one byte
  // past the limit is read from what has no size (a pipe).
  const auto file_bytes = fs::file_size(path, error);
  if (!error && file_bytes > protocol::kMaxSpecFileBytes) {
    protocol::LimitCheck too_big(path);
    too_big.Bytes("the spec", static_cast<size_t>(file_bytes), protocol::kMaxSpecFileBytes,
                  "spec_file_bytes");
    return too_big.status();
  }
  std::string contents(protocol::kMaxSpecFileBytes + 1, '\0');
  in.read(contents.data(), static_cast<std::streamsize>(contents.size()));
  if (in.bad()) return InvalidArgumentError(path + ": cannot read: " + std::strerror(EIO));
  contents.resize(static_cast<size_t>(in.gcount()));
  const fs::path absolute = fs::absolute(fs::path(path), error).lexically_normal();
  return ParseJobSpecString(contents, path, absolute.parent_path().string());
}

std::string SubstituteOutputs(const JobSpec& spec, std::string_view outputs_dir) {
  std::string dir(outputs_dir);
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return ReplaceReferences(spec.command,
                           [&](const CommandReference& reference) -> std::optional<std::string> {
                             if (reference.kind != CommandReference::Kind::kOutput)
                               return std::nullopt;
                             if (spec.outputs.find(reference.name) == spec.outputs.end())
                               return std::nullopt;
                             return dir + "/" + reference.name;
                           });
}

}  // namespace jobctl
