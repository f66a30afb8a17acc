// The pieces every `jobctl` verb shares: global options, the table of
// subcommands and their runners, and how a verb gets a controller client.
//
// Each verb group registers its CLI11 subcommands in one Register* function
// (one file per group, see commands/*.cc); main.cc parses and runs the runner
// of the subcommand that was given.
//
// Thread-safety: used from main's thread only.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/controller_client.h"
#include "common/status.h"

namespace jobctl::cli {

// Options given before or after the verb (CLI11 `fallthrough`).
struct GlobalOptions {
  std::string controller;  // --controller; empty: env, config file, default
  int timeout_ms = 5000;   // --timeout-ms, per request
  std::string token_file;  // --token-file; empty: env, config file (cli/config.h)
};

// Returns the process exit status.
using Runner = std::function<int()>;

class CommandTable {
 public:
  void Add(CLI::App* command, Runner runner) { entries_.emplace_back(command, std::move(runner)); }
  // The runner of the parsed subcommand; nullptr when none was given.
  const Runner* Find(const CLI::App* parsed) const {
    for (const auto& [command, runner] : entries_) {
      if (command == parsed) return &runner;
    }
    return nullptr;
  }

 private:
  std::vector<std::pair<CLI::App*, Runner>> entries_;
};

// Resolves the controller's address (flag > env > config file > default) and
// the token (--token-file > $JOBCTL_TOKEN > $JOBCTL_TOKEN_FILE > config file)
// and calls `body` with a CURVE client. Bad addresses, unusable tokens and no
// token at all are reported (exit 2) before anything is sent.
int WithClient(const GlobalOptions& global, const std::function<int(ControllerClient&)>& body);

// The footer every verb's --help ends with.
std::string ExitStatusHelp();

void RegisterSubmit(CLI::App& app, GlobalOptions& global, CommandTable& table);
void RegisterLogs(CLI::App& app, GlobalOptions& global, CommandTable& table);
void RegisterJobs(CLI::App& app, GlobalOptions& global, CommandTable& table);  // list, show, cancel
void RegisterNodes(CLI::App& app, GlobalOptions& global, CommandTable& table);
void RegisterCluster(CLI::App& app, GlobalOptions& global, CommandTable& table);  // up, down
void RegisterPools(CLI::App& app, GlobalOptions& global, CommandTable& table);
void RegisterOutputs(CLI::App& app, GlobalOptions& global, CommandTable& table);  // outputs, download
void RegisterModel(CLI::App& app, GlobalOptions& global, CommandTable& table);    // model ...
void RegisterStats(CLI::App& app, GlobalOptions& global, CommandTable& table);    // stats
void RegisterToken(CLI::App& app, GlobalOptions& global,
                   CommandTable& table);  // login, token, whoami

}  // namespace jobctl::cli
