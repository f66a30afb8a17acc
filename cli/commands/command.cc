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
  auto token = ResolveToken(global.token_file, ProcessEnv);
  if (!token.ok()) {
    std::fprintf(stderr, "jobctl: %s\n", token.status().message().c_str());
    return kExitUsage;
  }
  if (!*token) {
    std::fprintf(stderr, "jobctl: %s\n", NoCredentialsMessage(address->endpoint).c_str());
    return kExitUsage;
  }
  auto creds = auth::CredentialsFromToken((*token)->token);
  if (!creds.ok()) {
    std::fprintf(stderr, "jobctl: %s: %s\n", (*token)->source.c_str(),
                 creds.status().message().c_str());
    return kExitUsage;
  }
  ControllerClient client(address->endpoint, std::chrono::milliseconds(global.timeout_ms), *creds);
  return body(client);
}

std::string ExitStatusHelp() {
  return "Controller address: --controller > $JOBCTL_CONTROLLER > controller: in\n"
         "$XDG_CONFIG_HOME/jobctl/config.yaml (or ~/.config/jobctl/config.yaml) >\n"
         "tcp://127.0.0.1:7070. Every request times out after --timeout-ms (5000).\n"
         "Credentials: --token-file > $JOBCTL_TOKEN > $JOBCTL_TOKEN_FILE > token: in\n"
         "the same config file (written by `jobctl login` and `jobctl up`).\n"
         "Exit status: 0 ok; 1 the job failed/was cancelled/timed out (submit --follow)\n"
         "or another error; 2 usage error, bad spec file, unknown job, or no\n"
         "credentials; 3 the controller cannot be reached; 4 permission denied (the\n"
         "controller refused the token, or it may not do this).";
}

}  // namespace jobctl::cli
