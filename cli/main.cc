// jobctl: the user's command line. Parses the verb and runs it; each verb
// group lives in commands/*.cc.
#include <cstdio>

#include <CLI/CLI.hpp>

#include "cli/commands/command.h"
#include "cli/commands/experiment_list.h"
#include "cli/exit_codes.h"
#include "common/malloc_tuning.h"

int main(int argc, char** argv) {
  using namespace jobctl::cli;
  jobctl::TuneMallocForLargeBuffers();
  CLI::App app{"jobctl: submit and watch distributed training jobs, and run a local cluster"};
  app.require_subcommand(1);
  GlobalOptions global;
  app.add_option("--controller", global.controller,
                 "Controller address tcp://HOST:PORT (default: $JOBCTL_CONTROLLER, then "
                 "controller: in the user's config file, then tcp://127.0.0.1:7070)")
      ->envname("")
      ->configurable(false);
  app.add_option("--timeout-ms", global.timeout_ms, "Timeout of each request, in milliseconds")
      ->capture_default_str();
  app.add_option("--token-file", global.token_file,
                 "File holding your token (mode 0600; default: $JOBCTL_TOKEN, then "
                 "$JOBCTL_TOKEN_FILE, then token: in the user's config file, written by "
                 "`jobctl login` and `jobctl up`)")
      ->configurable(false);
  app.fallthrough();
  app.footer(
      "Examples:\n  jobctl up\n  jobctl submit job.yaml --follow\n  jobctl list\n"
      "  jobctl logs 12 -f\n"
      "  jobctl login --controller tcp://HOST:7070 --token-file my.token\n"
      "  jobctl token create --user alice > alice.token   (admin)\n\nRun 'jobctl VERB --help' for "
      "a verb's options.\n\n" +
      ExitStatusHelp());

  CommandTable table;
  RegisterSubmit(app, global, table);
  RegisterLogs(app, global, table);
  RegisterJobs(app, global, table);
  RegisterNodes(app, global, table);
  RegisterCluster(app, global, table);
  RegisterPools(app, global, table);
  RegisterMetrics(app, global, table);
  RegisterOutputs(app, global, table);
  RegisterModel(app, global, table);
  RegisterStats(app, global, table);
  RegisterToken(app, global, table);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  for (const CLI::App* sub : app.get_subcommands()) {
    if (const Runner* runner = table.Find(sub)) return (*runner)();
  }
  std::fprintf(stderr, "jobctl: no command given; see jobctl --help\n");
  return kExitUsage;
}
