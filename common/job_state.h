// The job state machine (docs/states.md draws it).
//
//   QUEUED -> SCALING -> PREPARING -> RUNNING -> SUCCEEDED | FAILED | CANCELLED | TIMED_OUT
//   (QUEUED -> PREPARING directly when nodes are free; a retry goes back to
//   QUEUED with attempt+1; CANCELLED is reachable from every live state.)
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace jobctl {

enum class JobState {
  kQueued,
  kScaling,
  kPreparing,
  kRunning,
  kSucceeded,
  kFailed,
  kCancelled,
  kTimedOut,
};

// "QUEUED", "SCALING", ...
std::string_view JobStateName(JobState s);
// Accepts any case ("running", "RUNNING"). nullopt for an unknown name.
std::optional<JobState> ParseJobState(std::string_view name);
bool IsTerminal(JobState s);
// Whether the state machine allows from -> to.
bool IsValidTransition(JobState from, JobState to);

}  // namespace jobctl
