// Parsing and validation of job spec YAML files (docs/job-spec.md).
//
// Every problem is reported as "FILE:LINE:COL: field.path: what is wrong",
// e.g. `job.yaml:4:19: resources.instance_count: expected a positive integer,
// got "two"`. Unknown keys are errors with a did-you-mean. On error the
// Status is kInvalidArgument and its message holds every problem found, one
// per line, in file order.
//
// `${{inputs.NAME}}` in `command` is replaced by the input's value (literal
// types) or its absolute path (uri_file / uri_folder, resolved against the
// spec file's folder); a reference to an input that does not exist is an
// error naming it. `${{outputs.NAME}}` is kept and replaced on the node by
// SubstituteOutputs(), since only the agent knows the outputs folder.
// `code` is resolved to an absolute path against the spec file's folder and
// must be an existing directory.
//
// Thread-safety: free functions without shared state.
#pragma once

#include <string>
#include <string_view>

#include "common/job_spec/job_spec.h"
#include "common/status.h"

namespace jobctl {

Result<JobSpec> ParseJobSpecFile(const std::string& path);

// `file_name` is used in messages; `base_dir` resolves relative paths.
Result<JobSpec> ParseJobSpecString(std::string_view yaml, std::string_view file_name,
                                   std::string_view base_dir);

// Replaces `${{outputs.NAME}}` with OUTPUTS_DIR/NAME for every declared output.
std::string SubstituteOutputs(const JobSpec& spec, std::string_view outputs_dir);

}  // namespace jobctl
