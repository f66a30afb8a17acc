#include "agent/runtime.h"

namespace jobctl::agent {

void Runtime::PrepareImage(const ImageRequest& request,
                           std::function<void(std::string_view line)> /*on_line*/,
                           std::function<void(Status)> on_done) {
  on_done(FailedPreconditionError("the job asks for image " + request.image +
                                  " but this agent runs --runtime " + Name() +
                                  ", which cannot run images (start the agent with --runtime "
                                  "podman or docker)"));
}

}  // namespace jobctl::agent
