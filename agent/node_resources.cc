#include "agent/node_resources.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace jobctl::agent {
namespace {

std::string Trim(std::string s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  size_t e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

}  // namespace

std::string Hostname() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof(buf) - 1) != 0) return "localhost";
  return buf;
}

double DetectCpus() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1.0 : static_cast<double>(n);
}

int64_t DetectMemoryBytes() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  int64_t kib = 0;
  std::string unit;
  while (in >> key >> kib >> unit) {
    if (key == "MemTotal:") return kib * 1024;
  }
  return 0;
}

Result<std::string> LocalAddressTowards(const std::string& controller_endpoint) {
  std::string rest = controller_endpoint;
  if (rest.rfind("tcp://", 0) != 0) {
    return InvalidArgumentError("--controller: cannot derive an address from '" +
                                controller_endpoint + "' (not tcp://HOST:PORT); set --advertise-addr");
  }
  rest = rest.substr(6);
  size_t colon = rest.rfind(':');
  std::string host = colon == std::string::npos ? rest : rest.substr(0, colon);
  std::string port = colon == std::string::npos ? "9" : rest.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host == "*" || host.empty()) host = "127.0.0.1";
  addrinfo hints{};
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* res = nullptr;
  int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0) {
    return UnavailableError("cannot resolve controller host '" + host + "': " + gai_strerror(rc));
  }
  std::string out;
  for (addrinfo* ai = res; ai != nullptr && out.empty(); ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    sockaddr_storage local{};
    socklen_t len = sizeof(local);
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) == 0) {
      char buf[INET6_ADDRSTRLEN] = {};
      const void* addr = local.ss_family == AF_INET6
                             ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(&local)->sin6_addr)
                             : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(&local)->sin_addr);
      if (::inet_ntop(local.ss_family, addr, buf, sizeof(buf)) != nullptr) out = buf;
    }
    ::close(fd);
  }
  ::freeaddrinfo(res);
  if (out.empty()) return UnavailableError("no route to controller host '" + host + "'");
  return out;
}

Result<std::vector<protocol::GpuInfo>> ParseNvidiaSmi(const std::string& csv) {
  std::vector<protocol::GpuInfo> gpus;
  std::istringstream in(csv);
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (Trim(line).empty()) continue;
    std::vector<std::string> fields;
    std::stringstream ls(line);
    std::string field;
    while (std::getline(ls, field, ',')) fields.push_back(Trim(field));
    if (fields.size() != 3) {
      return InvalidArgumentError("nvidia-smi output line " + std::to_string(line_no) +
                                  ": expected 'index, name, memory.total', got '" + line + "'");
    }
    protocol::GpuInfo g;
    try {
      g.index = std::stoi(fields[0]);
      g.name = fields[1];
      g.memory_bytes = static_cast<int64_t>(std::stod(fields[2]) * 1024 * 1024);
    } catch (const std::exception&) {
      return InvalidArgumentError("nvidia-smi output line " + std::to_string(line_no) +
                                  ": bad number in '" + line + "'");
    }
    gpus.push_back(g);
  }
  return gpus;
}

std::vector<protocol::GpuInfo> DiscoverGpus() {
  FILE* p = ::popen(
      "nvidia-smi --query-gpu=index,name,memory.total --format=csv,noheader,nounits 2>/dev/null",
      "r");
  if (p == nullptr) return {};
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  int rc = ::pclose(p);
  if (rc != 0) return {};
  auto gpus = ParseNvidiaSmi(out);
  return gpus.ok() ? *gpus : std::vector<protocol::GpuInfo>{};
}

std::vector<protocol::GpuInfo> FakeGpus(int n) {
  std::vector<protocol::GpuInfo> gpus;
  for (int i = 0; i < n; ++i) gpus.push_back({i, "fake-gpu", int64_t{16} << 30});
  return gpus;
}

Result<std::string> ResolveNodeId(const std::string& flag, const std::string& id_file) {
  std::string id = flag;
  if (id.empty()) {
    std::ifstream in(id_file);
    std::getline(in, id);
    id = Trim(id);
  }
  if (id.empty()) id = Hostname();
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(id_file).parent_path(), ec);
  std::ofstream out(id_file, std::ios::trunc);
  out << id << "\n";
  if (!out) return InternalError("cannot write node id to " + id_file);
  return id;
}

}  // namespace jobctl::agent
