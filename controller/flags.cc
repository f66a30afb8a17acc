#include "controller/flags.h"

#include <charconv>

namespace jobctl::controller {

void AddFlags(CLI::App& app, ControllerFlags* f) {
  app.add_option("--listen", f->listen,
                 "ZeroMQ endpoint the ROUTER socket binds; agents and clients connect here")
      ->capture_default_str();
  app.add_option("--data-dir", f->data_dir,
                 "Directory for the state database, code archives and job logs "
                 "(default ~/.local/share/jobctl/controller)");
  app.add_option("--heartbeat-timeout-ms", f->heartbeat_timeout_ms,
                 "A node that sends no heartbeat for this long is LOST")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{10}, int64_t{3'600'000}));
  app.add_option("--grace-period-ms", f->grace_period_ms,
                 "Time between SIGTERM and SIGKILL when an attempt is stopped (sent to agents)")
      ->capture_default_str()
      ->check(CLI::Range(0, 3'600'000));
  app.add_option("--rendezvous-ports", f->rendezvous_ports,
                 "Port range FIRST-LAST for MASTER_PORT on rank 0's node")
      ->capture_default_str();
  app.add_option("--store", f->store, "State store: sqlite (durable) or memory (tests, demos)")
      ->capture_default_str()
      ->check(CLI::IsMember({"sqlite", "memory"}));
  app.add_option("--config", f->config_file,
                 "YAML configuration file: the `pools:` the autoscaler manages (docs/pools.md)");
  app.add_option("--log-level", f->log_level, "trace|debug|info|warn|error|critical|off")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
}

CLI::App* AddInitCommand(CLI::App& app, ControllerFlags* f) {
  CLI::App* init = app.add_subcommand(
      "init",
      "Create what is missing of DATA_DIR/auth: the controller's CURVE key pair "
      "(controller.key 0600, controller.pub), credentials.json, admin.token (an admin user "
      "token for the local user) and agent.token (a join token for local agents), then exit. "
      "Safe to run again: existing files are kept. Plain `jobctld` does the same at start. "
      "See docs/security.md.");
  init->add_option("--data-dir", f->data_dir,
                   "The controller's data directory (default ~/.local/share/jobctl/controller)");
  init->add_flag("--rotate", f->rotate_keys,
                 "Make a NEW controller key pair and new admin and agent tokens, and forget every "
                 "other credential: every token handed out before must be issued again. Stop "
                 "the controller first.");
  return init;
}

Result<PortRange> ParsePortRange(const std::string& text) {
  auto parse = [](std::string_view s, int* out) {
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
    return ec == std::errc() && ptr == s.data() + s.size() && *out > 0 && *out < 65536;
  };
  PortRange range;
  auto dash = text.find('-');
  std::string_view first = std::string_view(text).substr(0, dash);
  std::string_view last =
      dash == std::string::npos ? first : std::string_view(text).substr(dash + 1);
  if (!parse(first, &range.first) || !parse(last, &range.last) || range.first > range.last) {
    return InvalidArgumentError("--rendezvous-ports: expected FIRST-LAST with 1 <= FIRST <= LAST "
                                "<= 65535, got '" + text + "'");
  }
  return range;
}

Status ValidateFlags(const ControllerFlags& flags) {
  auto ports = ParsePortRange(flags.rendezvous_ports);
  if (!ports.ok()) return ports.status();
  if (flags.listen.empty()) return InvalidArgumentError("--listen: must not be empty");
  return Status::Ok();
}

}  // namespace jobctl::controller
