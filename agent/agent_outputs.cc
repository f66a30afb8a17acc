// Agent::ReportEmptyOutputs: the empty output manifest of an attempt, with
// its last rank's exit (AttemptReporter).
#include <spdlog/spdlog.h>

#include "agent/agent.h"

namespace jobctl::agent {

bool Agent::ReportEmptyOutputs(protocol::EmptyOutputs outputs) {
  // A stopping agent does not report outputs (as it starts no upload): the
  // controller shows them as failed once the node is lost.
  if (shutting_down_) return false;
  std::string job = outputs.job_id;
  int attempt = outputs.attempt;
  events_.Report(std::move(outputs), [job, attempt](const Status& s) {
    // Refused for good (e.g. the job is gone), as the uploader would log it.
    if (!s.ok()) {
      spdlog::error("job {} attempt {}: outputs upload failed: {}", job, attempt, s.message());
    }
  });
  return true;
}

}  // namespace jobctl::agent
