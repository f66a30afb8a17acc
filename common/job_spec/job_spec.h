// JobSpec: a job as the user wrote it, after parsing and validation.
//
// The YAML format is a superset of a useful subset of Azure ML's command-job
// YAML; docs/job-spec.md is the reference and job_spec_parser.h turns a file
// into this struct. The same struct travels on the wire (see
// common/protocol/messages.h) and is stored by the controller as JSON.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace jobctl {

struct JobInput {
  // uri_file | uri_folder | string | integer | number | boolean
  std::string type = "string";
  std::string path;   // for uri_* types, as written (resolved against the spec's folder)
  std::string value;  // for literal types, as text
};

struct JobOutput {
  std::string type = "uri_folder";  // uri_folder | uri_file
  std::string path;                 // optional destination hint
};

struct JobEnvironment {
  std::string image;                          // OCI reference; empty means host processes
  std::string pull_policy = "if_not_present";  // always | if_not_present | never
};

struct JobResources {
  int instance_count = 1;             // nodes
  int gpus_per_node = 0;
  double cpus_per_node = 0;           // 0: no requirement
  int64_t memory_per_node_bytes = 0;  // 0: no requirement
};

struct JobDistribution {
  std::string type = "none";  // none | pytorch
  int process_count_per_instance = 1;
};

struct JobLimits {
  int64_t timeout_seconds = 0;  // 0: no limit
};

struct JobSpec {
  std::string name;
  std::string display_name;
  std::string experiment_name;
  std::string description;
  std::map<std::string, std::string> tags;
  std::string command;  // run under /bin/sh -c; ${{inputs.x}} already substituted
  std::string code;     // folder, as written; the CLI packs it
  std::optional<JobEnvironment> environment;
  std::map<std::string, std::string> environment_variables;
  std::string compute;  // pool name; empty: any node
  JobResources resources;
  JobDistribution distribution;
  std::map<std::string, JobInput> inputs;
  std::map<std::string, JobOutput> outputs;
  JobLimits limits;
  int retries = 0;
  int priority = 0;  // higher runs first

  int NodeCount() const { return resources.instance_count; }
  int ProcessesPerNode() const { return distribution.process_count_per_instance; }
  int WorldSize() const { return NodeCount() * ProcessesPerNode(); }
};

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(JobInput, type, path, value)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(JobOutput, type, path)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(JobEnvironment, image, pull_policy)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(JobResources, instance_count, gpus_per_node,
                                                cpus_per_node, memory_per_node_bytes)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(JobDistribution, type, process_count_per_instance)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(JobLimits, timeout_seconds)

void to_json(nlohmann::json& j, const JobSpec& s);
void from_json(const nlohmann::json& j, JobSpec& s);

}  // namespace jobctl
