#include "cli/archive.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace jobctl::cli {

namespace {

void CloseFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

Result<ChildOutput> RunAndCapture(const std::vector<std::string>& argv, size_t max_stdout) {
  if (argv.empty()) return InvalidArgumentError("empty command");
  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return InternalError(std::string("pipe: ") + std::strerror(errno));
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    return InternalError(std::string("pipe: ") + std::strerror(errno));
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  pid_t pid = ::fork();
  if (pid < 0) {
    int e = errno;
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) ::close(fd);
    return InternalError(std::string("fork: ") + std::strerror(e));
  }
  if (pid == 0) {
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    ::execvp(args[0], args.data());
    std::string msg = std::string("cannot run ") + args[0] + ": " + std::strerror(errno) + "\n";
    ssize_t ignored = ::write(2, msg.data(), msg.size());
    (void)ignored;
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  int out_fd = out_pipe[0];
  int err_fd = err_pipe[0];
  ChildOutput result;
  char buf[1 << 16];
  while (out_fd >= 0 || err_fd >= 0) {
    pollfd fds[2];
    int n = 0;
    if (out_fd >= 0) fds[n++] = {out_fd, POLLIN, 0};
    if (err_fd >= 0) fds[n++] = {err_fd, POLLIN, 0};
    if (::poll(fds, n, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      ssize_t got = ::read(fds[i].fd, buf, sizeof(buf));
      if (got < 0 && errno == EINTR) continue;
      bool is_out = fds[i].fd == out_fd;
      if (got <= 0) {
        CloseFd(is_out ? out_fd : err_fd);
        continue;
      }
      if (is_out) {
        result.out.append(buf, static_cast<size_t>(got));
        if (result.out.size() > max_stdout) {
          result.truncated = true;
          ::kill(pid, SIGKILL);
          CloseFd(out_fd);
        }
      } else if (result.err.size() < 64 * 1024) {
        result.err.append(buf, static_cast<size_t>(got));
      }
    }
  }
  CloseFd(out_fd);
  CloseFd(err_fd);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

Result<std::string> PackDirectory(const std::string& dir, size_t max_bytes) {
  struct stat st{};
  if (::stat(dir.c_str(), &st) != 0) {
    return InvalidArgumentError("code: cannot read folder " + dir + ": " + std::strerror(errno));
  }
  if (!S_ISDIR(st.st_mode)) return InvalidArgumentError("code: " + dir + " is not a folder");
  JOBCTL_ASSIGN_OR_RETURN(auto child, RunAndCapture({"tar", "-C", dir, "-czf", "-", "."}, max_bytes));
  if (child.truncated) {
    return ResourceExhaustedError("code: the archive of " + dir + " is larger than the limit of " +
                                  std::to_string(max_bytes >> 20) +
                                  " MiB; move data out of the code folder and use inputs:");
  }
  if (child.exit_code != 0) {
    while (!child.err.empty() && child.err.back() == '\n') child.err.pop_back();
    return InternalError("code: packing " + dir + " with tar failed (exit " +
                         std::to_string(child.exit_code) + "): " + child.err);
  }
  return std::move(child.out);
}

}  // namespace jobctl::cli
