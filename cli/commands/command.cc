#include "cli/commands/command.h"

#include <chrono>
#include <cstdio>

#include "cli/config.h"
#include "cli/exit_codes.h"

namespace jobctl::cli {

int WithClient(const GlobalOptions& global, const std::function<int(ControllerClient&)>& body) {
  auto address = ResolveControllerAddress(global.controller, ProcessEnv);
  if (!address.ok()) {
    std::fprintf(stderr, "jobctl: %s\n", address.status().message().c_str());
    return kExitUsage;
  }
  if (global.timeout_ms <= 0) {
    std::fprintf(stderr, "jobctl: --timeout-ms: expected a positive number of milliseconds\n");
    return kExitUsage;
  }
  ControllerClient client(address->endpoint, std::chrono::milliseconds(global.timeout_ms));
  return body(client);
}

std::string ExitStatusHelp() {
  return "Controller address: --controller > $JOBCTL_CONTROLLER > controller: in\n"
         "$XDG_CONFIG_HOME/jobctl/config.yaml (or ~/.config/jobctl/config.yaml) >\n"
         "tcp://127.0.0.1:7070. Every request times out after --timeout-ms (5000).\n"
         "Exit status: 0 ok; 1 the job failed/was cancelled/timed out (submit --follow)\n"
         "or another error; 2 usage error, bad spec file, or unknown job; 3 the\n"
         "controller cannot be reached.";
}

}  // namespace jobctl::cli
