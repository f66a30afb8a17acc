#include "tests/e2e/container_tools.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

namespace jobctl::testing {
namespace {

int FreeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

bool Connects(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

bool Executable(const std::string& path) { return ::access(path.c_str(), X_OK) == 0; }

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

}  // namespace

std::string ContainerToolsMissing(bool need_registry) {
  std::string missing;
  for (const char* p : {"/usr/bin/podman", "/usr/sbin/runc", "/bin/busybox"}) {
    if (!Executable(p)) missing += std::string(missing.empty() ? "" : ", ") + p;
  }
  if (need_registry && !Executable("/usr/bin/docker-registry")) {
    missing += std::string(missing.empty() ? "" : ", ") + "/usr/bin/docker-registry";
  }
  if (missing.empty()) return "";
  return "not installed: " + missing +
         " (packages podman, runc, docker-registry, busybox-static; see scripts/setup.sh)";
}

PodmanStore::PodmanStore(std::string dir) : dir_(std::move(dir)) {
  std::filesystem::create_directories(dir_);
  WriteFile(dir_ + "/containers.conf", "[containers]\ndefault_ulimits = []\n");
}

std::vector<std::string> PodmanStore::AgentFlags() const {
  return {"--runtime",    "podman",           "--podman-root",
          dir_ + "/root", "--podman-runroot", dir_ + "/run"};
}

CommandResult PodmanStore::Run(std::vector<std::string> args,
                               std::chrono::milliseconds timeout) const {
  std::vector<std::string> argv = {
      "/usr/bin/podman", "--root", dir_ + "/root",     "--runroot", dir_ + "/run",
      "--runtime",       "runc",   "--cgroup-manager", "cgroupfs"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, timeout, {{"CONTAINERS_CONF", dir_ + "/containers.conf"}});
}

std::string PodmanStore::OurContainers(const std::string& node_id) const {
  auto r = Run({"ps", "-a", "--filter", "label=jobctl.node=" + node_id, "--format", "{{.Names}}"});
  if (r.exit_code != 0) return "podman ps failed: " + r.err;
  return r.out;
}

std::string PodmanStore::BuildTinyImage(const std::string& ref, const std::string& marker) const {
  std::string rootfs = dir_ + "/tiny-rootfs";
  std::error_code ec;
  std::filesystem::remove_all(rootfs, ec);
  std::filesystem::create_directories(rootfs + "/bin");
  std::filesystem::create_directories(rootfs + "/tmp");
  std::filesystem::copy_file("/bin/busybox", rootfs + "/bin/busybox", ec);
  if (ec) return "copy busybox: " + ec.message();
  for (const char* tool : {"sh", "cat", "echo", "ls", "sleep", "test", "env", "true", "false"}) {
    std::filesystem::create_symlink("busybox", rootfs + "/bin/" + tool, ec);
  }
  WriteFile(rootfs + "/marker", marker + "\n");
  std::string tar = dir_ + "/tiny.tar";
  auto t = RunCommand({"tar", "-C", rootfs, "-cf", tar, "."});
  if (t.exit_code != 0) return "tar: " + t.err;
  auto r = Run({"import", "--change", "CMD /bin/sh", tar, ref});
  if (r.exit_code != 0) return "podman import: " + r.err;
  return "";
}

TestRegistry::~TestRegistry() {
  if (process_.pid() > 0) process_.Stop(std::chrono::seconds(5));
}

std::string TestRegistry::Start(const std::string& dir) {
  std::filesystem::create_directories(dir + "/data");
  int port = FreeLoopbackPort();
  host_ = "127.0.0.1:" + std::to_string(port);
  WriteFile(dir + "/config.yml",
            "version: 0.1\n"
            "log:\n  level: warn\n"
            "storage:\n  filesystem:\n    rootdirectory: " +
                dir +
                "/data\n"
                "  delete:\n    enabled: true\n"
                "http:\n  addr: " +
                host_ + "\n");
  if (!process_.Start({"/usr/bin/docker-registry", "serve", dir + "/config.yml"},
                      dir + "/registry.log")) {
    return "cannot start docker-registry";
  }
  for (int i = 0; i < 200; ++i) {
    if (Connects(port)) return "";
    if (!process_.running()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::ifstream in(dir + "/registry.log");
  std::string log((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return "docker-registry did not listen on " + host_ + ": " + log;
}

}  // namespace jobctl::testing
