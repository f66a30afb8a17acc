#include "cli/local_cluster.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/atomic_file.h"

namespace jobctl::cli {

namespace fs = std::filesystem;

std::string SelfDir() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  return self.parent_path().string();
}

namespace {

bool IsExecutableFile(const std::string& path) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

Result<std::string> FindDaemonBinary(const std::string& name) {
  std::string self_dir = SelfDir();
  std::vector<std::string> tried;
  if (!self_dir.empty()) {
    // Next to jobctl, or in the sibling folders of a build tree (build/cli/jobctl,
    // build/controller/jobctld).
    for (const std::string& candidate :
         {self_dir + "/" + name, self_dir + "/../controller/" + name, self_dir + "/../agent/" + name}) {
      if (IsExecutableFile(candidate)) return fs::weakly_canonical(candidate).string();
    }
    tried.push_back(self_dir);
  }
  const char* path_env = std::getenv("PATH");
  if (path_env != nullptr) {
    std::stringstream dirs(path_env);
    for (std::string dir; std::getline(dirs, dir, ':');) {
      if (dir.empty()) continue;
      std::string candidate = dir + "/" + name;
      if (IsExecutableFile(candidate)) return candidate;
    }
  }
  return NotFoundError("cannot find '" + name + "' next to jobctl (" + self_dir +
                       ") or on PATH; build it or add its folder to PATH");
}

Result<int> PickFreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return InternalError(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    int e = errno;
    ::close(fd);
    return InternalError(std::string("bind 127.0.0.1:0: ") + std::strerror(e));
  }
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return static_cast<int>(ntohs(addr.sin_port));
}

std::optional<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

Status WriteSmallFile(const std::string& path, const std::string& content) {
  return WriteFileAtomically(path, content, 0644);
}

std::string TailOfFile(const std::string& path, int lines) {
  auto content = ReadSmallFile(path);
  if (!content) return "";
  std::vector<std::string> all;
  std::stringstream in(*content);
  for (std::string line; std::getline(in, line);) all.push_back(line);
  std::string out;
  size_t start = all.size() > static_cast<size_t>(lines) ? all.size() - lines : 0;
  for (size_t i = start; i < all.size(); ++i) out += "  " + all[i] + "\n";
  return out;
}

bool ProcessAlive(pid_t pid) {
  if (pid <= 0 || ::kill(pid, 0) != 0) {
    if (pid > 0 && errno == EPERM) return true;
    return false;
  }
  auto stat = ReadSmallFile("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return false;
  // "PID (comm) S ...": the state follows the last ')'.
  size_t paren = stat->rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat->size()) return true;
  char state = (*stat)[paren + 2];
  return state != 'Z' && state != 'X';
}

std::optional<pid_t> LivePid(const std::string& pid_file, const std::string& binary,
                             const std::string& must_mention) {
  auto text = ReadSmallFile(pid_file);
  if (!text) return std::nullopt;
  pid_t pid = 0;
  try {
    pid = static_cast<pid_t>(std::stol(*text));
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (!ProcessAlive(pid)) return std::nullopt;
  auto cmdline = ReadSmallFile("/proc/" + std::to_string(pid) + "/cmdline");
  if (!cmdline || cmdline->empty()) return std::nullopt;
  std::string argv0 = cmdline->substr(0, cmdline->find('\0'));
  if (fs::path(argv0).filename().string() != binary) return std::nullopt;
  if (!must_mention.empty() && cmdline->find(must_mention) == std::string::npos) return std::nullopt;
  return pid;
}

Result<pid_t> SpawnDaemon(const std::vector<std::string>& argv, const std::string& log_file,
                          const std::string& pid_file) {
  int log_fd = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return InternalError("cannot open " + log_file + ": " + std::strerror(errno));
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) {
    int e = errno;
    ::close(log_fd);
    return InternalError(std::string("fork: ") + std::strerror(e));
  }
  if (pid == 0) {
    ::setsid();
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    ::signal(SIGPIPE, SIG_DFL);
    ::execv(args[0], args.data());
    std::string msg = std::string("cannot run ") + args[0] + ": " + std::strerror(errno) + "\n";
    ssize_t ignored = ::write(2, msg.data(), msg.size());
    (void)ignored;
    ::_exit(127);
  }
  ::close(log_fd);
  JOBCTL_RETURN_IF_ERROR(WriteSmallFile(pid_file, std::to_string(pid) + "\n"));
  return pid;
}

std::optional<std::string> ChildExited(pid_t pid) {
  int status = 0;
  pid_t r = ::waitpid(pid, &status, WNOHANG);
  if (r == 0) return std::nullopt;
  if (r < 0) return ProcessAlive(pid) ? std::nullopt : std::optional<std::string>("exited");
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "ended";
}

std::vector<pid_t> StopProcesses(const std::vector<pid_t>& pids, std::chrono::milliseconds grace) {
  for (pid_t pid : pids) ::kill(pid, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + grace;
  std::vector<pid_t> left = pids;
  while (!left.empty() && std::chrono::steady_clock::now() < deadline) {
    std::vector<pid_t> still;
    for (pid_t pid : left) {
      ::waitpid(pid, nullptr, WNOHANG);  // reaps it when it is our child
      if (ProcessAlive(pid)) still.push_back(pid);
    }
    left.swap(still);
    if (!left.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  for (pid_t pid : left) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, WNOHANG);
  }
  return left;
}

}  // namespace jobctl::cli
