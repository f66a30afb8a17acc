#include "common/job_state.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace jobctl {
namespace {
constexpr std::array<std::pair<JobState, std::string_view>, 8> kNames = {{
    {JobState::kQueued, "QUEUED"},
    {JobState::kScaling, "SCALING"},
    {JobState::kPreparing, "PREPARING"},
    {JobState::kRunning, "RUNNING"},
    {JobState::kSucceeded, "SUCCEEDED"},
    {JobState::kFailed, "FAILED"},
    {JobState::kCancelled, "CANCELLED"},
    {JobState::kTimedOut, "TIMED_OUT"},
}};
}  // namespace

std::string_view JobStateName(JobState s) {
  for (const auto& [state, name] : kNames) {
    if (state == s) return name;
  }
  return "UNKNOWN";
}

std::optional<JobState> ParseJobState(std::string_view name) {
  std::string upper(name);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  for (const auto& [state, n] : kNames) {
    if (n == upper) return state;
  }
  return std::nullopt;
}

bool IsTerminal(JobState s) {
  return s == JobState::kSucceeded || s == JobState::kFailed || s == JobState::kCancelled ||
         s == JobState::kTimedOut;
}

bool IsValidTransition(JobState from, JobState to) {
  if (IsTerminal(from)) return false;
  if (to == JobState::kCancelled) return true;
  switch (from) {
    case JobState::kQueued:
      return to == JobState::kScaling || to == JobState::kPreparing || to == JobState::kFailed;
    case JobState::kScaling:
      return to == JobState::kQueued || to == JobState::kPreparing || to == JobState::kFailed;
    case JobState::kPreparing:
    case JobState::kRunning:
      // A failed attempt with retries left goes back to QUEUED.
      return to == JobState::kRunning || to == JobState::kSucceeded || to == JobState::kFailed ||
             to == JobState::kTimedOut || to == JobState::kQueued;
    default:
      return false;
  }
}

}  // namespace jobctl
