// Agent::RemoveAttemptDir, Agent::OnOutputsUploaded: the end of a finished
// attempt's work directory (paths.h). A directory that served its attempt
// and whose outputs are stored (or were empty) is deleted off the event
// loop (attempt_dir_remover.h); one whose outputs could not be uploaded
// stays, so its files can still be fetched from the node.
#include <spdlog/spdlog.h>

#include "agent/agent.h"
#include "agent/paths.h"

namespace jobctl::agent {

void Agent::RemoveAttemptDir(const AttemptKey& key) {
  // A runner for the same attempt (a start_attempt repeated after the end)
  // works in this directory.
  if (options_.keep_attempt_dirs || runners_.count(key) > 0) return;
  removed_dirs_.Remove(paths::AttemptDir(options_.work_dir, key.first, key.second));
}

void Agent::OnOutputsUploaded(const AttemptKey& key, bool stored) {
  if (stored) return RemoveAttemptDir(key);
  spdlog::warn("job {} attempt {}: outputs not uploaded; keeping {} (fetch them from this node)",
               key.first, key.second, paths::AttemptDir(options_.work_dir, key.first, key.second));
}

}  // namespace jobctl::agent
