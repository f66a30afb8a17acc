// jobctld's command-line flags: each flag's default and help text sit
// together in AddFlags(). Timeouts and periods end up in ServerOptions
// (server.h), so tests set them directly.
//
// Thread-safety: plain values and free functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "common/status.h"

namespace jobctl::controller {

struct PortRange {
  int first = 29500;
  int last = 29999;
};

struct ControllerFlags {
  std::string listen = "tcp://127.0.0.1:7070";
  std::string data_dir;  // empty: paths::DefaultDataDir()
  int64_t heartbeat_timeout_ms = 10000;
  int grace_period_ms = 10000;
  std::string rendezvous_ports = "29500-29999";
  std::string store = "sqlite";  // sqlite | memory
  std::string config_file;
  std::string log_level = "info";
  bool rotate_keys = false;  // `jobctld init --rotate`
};

// Registers every flag on `app`, writing into `flags`.
void AddFlags(CLI::App& app, ControllerFlags* flags);

// Registers `jobctld init [--data-dir DIR] [--rotate]` (docs/security.md):
// create the controller's key pair and local tokens, then exit.
CLI::App* AddInitCommand(CLI::App& app, ControllerFlags* flags);

// "29500-29999" or "29500". Errors name the flag.
Result<PortRange> ParsePortRange(const std::string& text);

// Checks values CLI11 cannot (ranges, enums). Errors name the flag.
Status ValidateFlags(const ControllerFlags& flags);

}  // namespace jobctl::controller
