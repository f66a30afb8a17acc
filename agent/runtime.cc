#include "agent/runtime.h"

namespace jobctl::agent {

// The parameters are by value as the interface declares them (overrides keep them).
void Runtime::PrepareImage(const ImageRequest& request,
                           std::function<void(std::string_view line)> /*on_line*/,  // NOLINT
                           std::function<void(Status)> on_done) {                   // NOLINT
  on_done(FailedPreconditionError("the job asks for image " + request.image +
                                  " but this agent runs --runtime " + Name() +
                                  ", which cannot run images (start the agent with --runtime "
                                  "podman or docker)"));
}

}  // namespace jobctl::agent
