#include "controller/providers/spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

extern char** environ;

namespace jobctl::controller {

Result<pid_t> Spawn(const SpawnOptions& options) {
  if (options.argv.empty()) return InvalidArgumentError("spawn: empty command");
  // Everything the child needs is built before fork: after it, only
  // async-signal-safe calls.
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : options.env) env[k] = v;
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = options.argv;
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  auto open_out = [](const std::string& path) {
    return path.empty() ? ::open("/dev/null", O_WRONLY | O_CLOEXEC)
                        : ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  };
  int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int out = open_out(options.stdout_file);
  int err = options.stderr_file.empty() ? -1 : open_out(options.stderr_file);
  if (in < 0 || out < 0 || (!options.stderr_file.empty() && err < 0)) {
    std::string why = std::strerror(errno);
    for (int fd : {in, out, err}) {
      if (fd >= 0) ::close(fd);
    }
    return UnavailableError("spawn " + options.argv[0] + ": cannot open its output files: " + why);
  }
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    std::string why = std::strerror(errno);
    for (int fd : {in, out, err}) {
      if (fd >= 0) ::close(fd);
    }
    return UnavailableError("spawn " + options.argv[0] + ": fork: " + why);
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    if (options.die_with_parent) {
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (::getppid() != parent) ::_exit(127);
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err >= 0 ? err : out, 2);
    ::execve(argv[0], argv.data(), envp.data());
    const char msg[] = "exec failed\n";
    (void)!::write(2, msg, sizeof(msg) - 1);
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also from the parent, so a signal right away reaches the group
  for (int fd : {in, out, err}) {
    if (fd >= 0) ::close(fd);
  }
  return pid;
}

std::optional<ChildExit> TryReap(pid_t pid) {
  int status = 0;
  pid_t r = ::waitpid(pid, &status, WNOHANG);
  if (r == 0) return std::nullopt;
  if (r < 0) return ChildExit{-1, "was already reaped"};
  if (WIFSIGNALED(status)) {
    return ChildExit{128 + WTERMSIG(status),
                     "killed by signal " + std::to_string(WTERMSIG(status))};
  }
  int code = WEXITSTATUS(status);
  return ChildExit{code, "exited with code " + std::to_string(code)};
}

void SignalGroup(pid_t pid, int sig) {
  if (pid <= 0) return;
  ::kill(-pid, sig);
  ::kill(pid, sig);
}

std::string ReadFileHead(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::string data(max_bytes, '\0');
  in.read(data.data(), static_cast<std::streamsize>(max_bytes));
  data.resize(static_cast<size_t>(in.gcount()));
  return data;
}

}  // namespace jobctl::controller
