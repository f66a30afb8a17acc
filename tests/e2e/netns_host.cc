#include "tests/e2e/netns_host.h"

#include <unistd.h>

#include <chrono>
#include <stdexcept>

#include "tests/e2e/subprocess.h"

namespace jobctl::testing {
namespace {

// `ip` may not be on a non-root PATH (ctest inherits the caller's).
std::string IpPath() { return access("/usr/sbin/ip", X_OK) == 0 ? "/usr/sbin/ip" : "ip"; }

void Ip(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {IpPath()};
  argv.insert(argv.end(), args.begin(), args.end());
  CommandResult r = RunCommand(argv, std::chrono::seconds(10));
  if (r.exit_code != 0) {
    std::string cmd;
    for (const auto& a : argv) cmd += a + " ";
    throw std::runtime_error("`" + cmd + "` failed: " + r.err);
  }
}

}  // namespace

bool NetnsHost::Available(std::string* why) {
  if (geteuid() != 0) {
    *why = "network namespaces need root";
    return false;
  }
  if (RunCommand({IpPath(), "netns", "list"}, std::chrono::seconds(5)).exit_code != 0) {
    *why = "`ip netns` is not available (iproute2)";
    return false;
  }
  return true;
}

NetnsHost::NetnsHost() {
  // Unique per process and instance: parallel test processes must not clash.
  static int counter = 0;
  int n = (static_cast<int>(getpid()) * 7 + counter++) % 250 + 1;
  std::string tag = std::to_string(getpid()) + "x" + std::to_string(counter);
  name_ = "jobctl-" + tag;
  veth_root_ = "jcr" + tag;  // interface names are at most 15 characters
  veth_ns_ = "jcn" + tag;
  root_address_ = "10.77." + std::to_string(n) + ".1";
  address_ = "10.77." + std::to_string(n) + ".2";
  Ip({"netns", "add", name_});
  try {
    Ip({"link", "add", veth_root_, "type", "veth", "peer", "name", veth_ns_});
    Ip({"link", "set", veth_ns_, "netns", name_});
    Ip({"addr", "add", root_address_ + "/24", "dev", veth_root_});
    Ip({"link", "set", veth_root_, "up"});
    Ip({"-n", name_, "addr", "add", address_ + "/24", "dev", veth_ns_});
    Ip({"-n", name_, "link", "set", veth_ns_, "up"});
    Ip({"-n", name_, "link", "set", "lo", "up"});
  } catch (...) {
    RunCommand({IpPath(), "link", "del", veth_root_}, std::chrono::seconds(10));
    RunCommand({IpPath(), "netns", "del", name_}, std::chrono::seconds(10));
    throw;
  }
}

NetnsHost::~NetnsHost() {
  RunCommand({IpPath(), "link", "del", veth_root_}, std::chrono::seconds(10));
  RunCommand({IpPath(), "netns", "del", name_}, std::chrono::seconds(10));
}

std::vector<std::string> NetnsHost::Exec() const { return {IpPath(), "netns", "exec", name_}; }

void NetnsHost::SetLink(bool up) {
  const char* state = up ? "up" : "down";
  Ip({"link", "set", veth_root_, state});
  Ip({"-n", name_, "link", "set", veth_ns_, state});
}

}  // namespace jobctl::testing
