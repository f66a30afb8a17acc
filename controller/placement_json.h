// JSON form of a JobPlacement, stored in the job row (JobRecord::placement_json)
// so a restarted controller re-attaches the ranks of live attempts.
//
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "common/status.h"
#include "controller/scheduler.h"

namespace jobctl::controller {

std::string PlacementToJson(const JobPlacement& placement);
Result<JobPlacement> PlacementFromJson(const std::string& json);

}  // namespace jobctl::controller
