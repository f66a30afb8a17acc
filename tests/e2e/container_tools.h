// Helpers for end-to-end tests and benchmarks with container images: a real
// OCI registry (Debian's docker-registry) on a free 127.0.0.1 port with its
// storage in a test directory, podman with a private storage (--root,
// --runroot) and the agent's containers.conf settings, and a tiny image
// built from busybox-static (no network, no base image needed).
//
// Thread-safety: not thread-safe; one test thread drives it.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "tests/e2e/subprocess.h"

namespace jobctl::testing {

// "" when podman, runc, docker-registry and busybox are installed, else
// what is missing (for GTEST_SKIP).
std::string ContainerToolsMissing(bool need_registry = true);

// podman with its own storage under `dir` (so parallel tests do not clash).
class PodmanStore {
 public:
  explicit PodmanStore(std::string dir);
  // The jobagent flags that point it at this storage.
  std::vector<std::string> AgentFlags() const;
  CommandResult Run(std::vector<std::string> args,
                    std::chrono::milliseconds timeout = std::chrono::seconds(120)) const;
  // Names of the containers labelled jobctl.node=`node_id` ("" when none).
  std::string OurContainers(const std::string& node_id) const;
  // Builds `ref`: busybox with sh/cat/echo/ls/sleep/test and /marker
  // holding `marker`. Returns "" or the error.
  std::string BuildTinyImage(const std::string& ref, const std::string& marker) const;

 private:
  std::string dir_;
};

class TestRegistry {
 public:
  TestRegistry() = default;
  ~TestRegistry();
  // Starts docker-registry with storage in `dir`; returns "" or the error.
  std::string Start(const std::string& dir);
  const std::string& host() const { return host_; }  // 127.0.0.1:PORT

 private:
  Subprocess process_;
  std::string host_;
};

}  // namespace jobctl::testing
