// Size limits of a job spec (common/protocol/limits.h, docs/limits.md).
//
// CheckJobSpecLimits is run by the CLI's parser on every parsed spec and by
// the controller on every submit (a client need not be the CLI): each string
// field, map and the spec's encoded size is checked; the first limit passed
// is reported as "CONTEXT: FIELD is N, over the limit of M (LIMIT_NAME)".
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string_view>

#include "common/job_spec/job_spec.h"
#include "common/protocol/limit_check.h"

namespace jobctl {

// Adds the spec's fields to `check` (field names as in the YAML, prefixed by
// `prefix`, e.g. "spec.").
void CheckJobSpecLimits(const JobSpec& spec, std::string_view prefix, protocol::LimitCheck& check);

// The MessagePack size of the spec as it travels on the wire.
size_t EncodedJobSpecBytes(const JobSpec& spec);

}  // namespace jobctl
