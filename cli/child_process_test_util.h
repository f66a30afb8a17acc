// Runs a program as a child process for tests, with a deadline: stdout and
// stderr are captured, and a child still running at the deadline is killed
// (and reported as such), so a test never hangs.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

namespace jobctl::cli {

struct ChildRun {
  int exit_code = -1;
  bool killed_at_deadline = false;
  std::string out;
  std::string err;
};

// Standard input is /dev/null. `env` entries ("NAME=value") are set in the child on top of this
// process's environment.
inline ChildRun RunChild(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                         std::chrono::milliseconds deadline) {
  ChildRun run;
  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) return run;
  pid_t pid = ::fork();
  if (pid == 0) {
    for (const auto& e : env) ::putenv(const_cast<char*>(e.c_str()));
    int null_in = ::open("/dev/null", O_RDONLY);  // stdin: nothing, never the terminal
    if (null_in >= 0) ::dup2(null_in, 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  auto end = std::chrono::steady_clock::now() + deadline;
  int fds[2] = {out_pipe[0], err_pipe[0]};
  std::string* sinks[2] = {&run.out, &run.err};
  char buf[65536];
  while (fds[0] >= 0 || fds[1] >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      run.killed_at_deadline = true;
      ::kill(pid, SIGKILL);
      break;
    }
    pollfd p[2];
    int n = 0;
    int which[2];
    for (int i = 0; i < 2; ++i) {
      if (fds[i] >= 0) {
        p[n] = {fds[i], POLLIN, 0};
        which[n++] = i;
      }
    }
    if (::poll(p, n, static_cast<int>(left.count())) <= 0) continue;
    for (int k = 0; k < n; ++k) {
      if (p[k].revents == 0) continue;
      ssize_t got = ::read(p[k].fd, buf, sizeof(buf));
      if (got <= 0) {
        ::close(fds[which[k]]);
        fds[which[k]] = -1;
      } else {
        sinks[which[k]]->append(buf, static_cast<size_t>(got));
      }
    }
  }
  for (int fd : fds) {
    if (fd >= 0) ::close(fd);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!run.killed_at_deadline) run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

}  // namespace jobctl::cli
