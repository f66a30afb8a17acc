// The `inputs:` and `outputs:` sections of a job spec (docs/job-spec.md).
//
// Thread-safety: free functions without shared state.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/job_spec/job_spec.h"
#include "common/job_spec/spec_diagnostics.h"
#include "common/job_spec/spec_reader.h"

namespace jobctl {

// Names written under a section, valid or not, in file order; used to tell
// "refers to an undefined input" apart from "refers to a broken input".
struct DeclaredNames {
  std::vector<std::string> names;
  bool Contains(std::string_view name) const;
  std::string Joined() const;  // "data, epochs" or "(none)"
};

// Reads `inputs:`: each entry is a bare literal (type inferred: integer,
// number, boolean, else string; quoted scalars are strings) or a mapping with
// `type` and `path` (uri_file, uri_folder) or `value` (string, integer,
// number, boolean). Local uri paths are made absolute against `base_dir`.
std::map<std::string, JobInput> ParseInputs(const SpecField& field,
                                            const std::filesystem::path& base_dir,
                                            SpecDiagnostics& diag, DeclaredNames& declared);

// Reads `outputs:`: each entry is empty (a uri_folder) or a mapping with
// `type` (uri_folder, uri_file) and an optional `path`.
std::map<std::string, JobOutput> ParseOutputs(const SpecField& field, SpecDiagnostics& diag,
                                              DeclaredNames& declared);

}  // namespace jobctl
