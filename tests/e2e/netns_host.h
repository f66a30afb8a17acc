// NetnsHost: a second "host" on this machine for partition tests: a network
// namespace joined to the root namespace by a veth pair, 10.77.N.1 on the
// root side and 10.77.N.2 inside. The link can be cut and healed; the
// destructor removes the namespace (and with it the veth pair).
//
// Needs root and `ip` (iproute2); Available() says whether both are there.
// Thread-safety: not thread-safe; one test thread drives it.
#pragma once

#include <string>
#include <vector>

namespace jobctl::testing {

class NetnsHost {
 public:
  // Whether this process may create namespaces (root with `ip` on PATH).
  static bool Available(std::string* why);

  NetnsHost();  // throws std::runtime_error when setup fails
  ~NetnsHost();
  NetnsHost(const NetnsHost&) = delete;
  NetnsHost& operator=(const NetnsHost&) = delete;

  const std::string& name() const { return name_; }
  const std::string& root_address() const { return root_address_; }  // 10.77.N.1
  const std::string& address() const { return address_; }            // 10.77.N.2
  // Prefix that runs a command inside the namespace.
  std::vector<std::string> Exec() const;
  // Cuts (false) or heals (true) the link, on both ends.
  void SetLink(bool up);

 private:
  std::string name_;
  std::string veth_root_;
  std::string veth_ns_;
  std::string root_address_;
  std::string address_;
};

}  // namespace jobctl::testing
