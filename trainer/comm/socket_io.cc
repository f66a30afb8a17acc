#include "trainer/comm/socket_io.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <thread>

namespace jobctl::trainer::comm {
namespace {

std::string ErrnoText(int err) { return std::strerror(err); }

std::string HostPort(const std::string& host, int port) {
  return host + ":" + std::to_string(port);
}

// Waits until `fd` is ready for `events` or the deadline passes.
Status PollFor(int fd, short events, Deadline deadline, const char* what) {
  for (;;) {
    pollfd pfd{fd, events, 0};
    int rc = ::poll(&pfd, 1, MillisecondsLeft(deadline));
    if (rc > 0) return Status::Ok();
    if (rc == 0) return DeadlineExceededError(std::string("timed out while ") + what);
    if (errno != EINTR) return UnavailableError(std::string("poll failed while ") + what + ": " +
                                                ErrnoText(errno));
  }
}

// One non-blocking connect attempt, bounded by `deadline`.
Result<UniqueFd> ConnectOnce(const addrinfo& ai, Deadline deadline) {
  UniqueFd fd(::socket(ai.ai_family, ai.ai_socktype | SOCK_CLOEXEC, ai.ai_protocol));
  if (!fd.valid()) return UnavailableError("socket: " + ErrnoText(errno));
  int flags = ::fcntl(fd.get(), F_GETFL, 0);
  ::fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK);
  if (::connect(fd.get(), ai.ai_addr, ai.ai_addrlen) != 0) {
    if (errno != EINPROGRESS) return UnavailableError(ErrnoText(errno));
    JOBCTL_RETURN_IF_ERROR(PollFor(fd.get(), POLLOUT, deadline, "connecting"));
    int err = 0;
    socklen_t len = sizeof(err);
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return UnavailableError(ErrnoText(err));
  }
  ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK);
  int one = 1;
  ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

}  // namespace

int MillisecondsLeft(Deadline deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                  deadline - std::chrono::steady_clock::now())
                  .count();
  return static_cast<int>(std::clamp<long long>(left, 0, INT_MAX));
}

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) Reset(other.Release());
  return *this;
}

int UniqueFd::Release() {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

void UniqueFd::Reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

Result<UniqueFd> ConnectWithRetry(const std::string& host, int port, Deadline deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  int gai = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &list);
  if (gai != 0) {
    return InvalidArgumentError("cannot resolve " + HostPort(host, port) + ": " +
                                ::gai_strerror(gai));
  }
  std::string last_error = "no address";
  auto backoff = std::chrono::milliseconds(5);
  Result<UniqueFd> result = UnavailableError("unreachable");
  for (;;) {
    for (addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
      result = ConnectOnce(*ai, deadline);
      if (result.ok()) break;
      last_error = result.status().message();
    }
    if (result.ok() || MillisecondsLeft(deadline) == 0) break;
    // The server may not be up yet: back off a little, never past the deadline.
    auto sleep_for = std::min<std::chrono::milliseconds>(
        backoff, std::chrono::milliseconds(MillisecondsLeft(deadline)));
    std::this_thread::sleep_for(sleep_for);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(100));
  }
  ::freeaddrinfo(list);
  if (!result.ok()) {
    return DeadlineExceededError("could not connect to " + HostPort(host, port) +
                                 " before the deadline (last error: " + last_error + ")");
  }
  return result;
}

Result<UniqueFd> ListenOnPort(int port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return UnavailableError("socket: " + ErrnoText(errno));
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return UnavailableError("cannot bind rendezvous port " + std::to_string(port) + ": " +
                            ErrnoText(errno));
  }
  if (::listen(fd.get(), 128) != 0) {
    return UnavailableError("cannot listen on port " + std::to_string(port) + ": " +
                            ErrnoText(errno));
  }
  return fd;
}

Result<int> LocalPort(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return InternalError("getsockname: " + ErrnoText(errno));
  }
  if (addr.ss_family == AF_INET6) {
    return static_cast<int>(ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port));
  }
  return static_cast<int>(ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port));
}

Status SendAll(int fd, const void* data, size_t size, Deadline deadline) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    JOBCTL_RETURN_IF_ERROR(PollFor(fd, POLLOUT, deadline, "sending"));
    ssize_t n = ::send(fd, p, size, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      return UnavailableError("send failed: " + ErrnoText(errno));
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status RecvAll(int fd, void* data, size_t size, Deadline deadline) {
  char* p = static_cast<char*>(data);
  while (size > 0) {
    JOBCTL_RETURN_IF_ERROR(PollFor(fd, POLLIN, deadline, "receiving"));
    ssize_t n = ::recv(fd, p, size, MSG_DONTWAIT);
    if (n == 0) return UnavailableError("connection closed by peer");
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      return UnavailableError("recv failed: " + ErrnoText(errno));
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

Result<std::string> LocalAddressReaching(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* list = nullptr;
  if (int gai = ::getaddrinfo(host.c_str(), "9", &hints, &list); gai != 0) {
    return InvalidArgumentError("cannot resolve " + host + ": " + ::gai_strerror(gai));
  }
  Result<std::string> result = UnavailableError("no route to " + host);
  for (addrinfo* ai = list; ai != nullptr && !result.ok(); ai = ai->ai_next) {
    UniqueFd fd(::socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!fd.valid() || ::connect(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0) continue;
    sockaddr_storage local{};
    socklen_t len = sizeof(local);
    if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&local), &len) != 0) continue;
    char text[INET6_ADDRSTRLEN] = {};
    const void* src = local.ss_family == AF_INET6
                          ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(&local)->sin6_addr)
                          : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(&local)->sin_addr);
    if (::inet_ntop(local.ss_family, src, text, sizeof(text)) != nullptr) result = std::string(text);
  }
  ::freeaddrinfo(list);
  return result;
}

void AppendU32(std::string& out, uint32_t value) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

uint32_t ReadU32(const char* in) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value |= static_cast<uint32_t>(static_cast<uint8_t>(in[i])) << (8 * i);
  return value;
}

}  // namespace jobctl::trainer::comm
