#include "cli/controller_client.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "cli/exit_codes.h"

namespace jobctl::cli {

namespace {

// Connects one socket to `ai` within `timeout_ms`. 0 on success, else errno.
int TryConnect(const addrinfo* ai, int timeout_ms) {
  int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
  if (fd < 0) return errno;
  int err = 0;
  if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
    err = errno;
    if (err == EINPROGRESS) {
      pollfd pfd{fd, POLLOUT, 0};
      int n = ::poll(&pfd, 1, timeout_ms);
      if (n == 0) {
        err = ETIMEDOUT;
      } else if (n < 0) {
        err = errno;
      } else {
        socklen_t len = sizeof(err);
        if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
      }
    }
  }
  ::close(fd);
  return err;
}

}  // namespace

Status ProbeEndpoint(const std::string& endpoint, std::chrono::milliseconds timeout) {
  if (endpoint.rfind("tcp://", 0) != 0) return Status::Ok();
  std::string rest = endpoint.substr(6);
  size_t colon = rest.rfind(':');
  if (colon == std::string::npos) return InvalidArgumentError("bad controller address '" + endpoint + "'");
  std::string host = rest.substr(0, colon);
  std::string port = rest.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host == "*") host = "127.0.0.1";
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_family = AF_UNSPEC;
  addrinfo* result = nullptr;
  int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &result);
  if (rc != 0) return UnavailableError("cannot resolve host '" + host + "': " + ::gai_strerror(rc));
  int err = EHOSTUNREACH;
  for (addrinfo* ai = result; ai != nullptr; ai = ai->ai_next) {
    err = TryConnect(ai, static_cast<int>(timeout.count()));
    if (err == 0) break;
  }
  ::freeaddrinfo(result);
  if (err != 0) return UnavailableError(std::strerror(err));
  return Status::Ok();
}

ControllerClient::ControllerClient(std::string endpoint, std::chrono::milliseconds timeout,
                                   std::optional<auth::ClientCredentials> creds)
    : endpoint_(std::move(endpoint)), timeout_(timeout), creds_(std::move(creds)), context_(1) {
  rpc_ = std::make_unique<RpcClient>(context_, endpoint_, creds_);
}

int ReportError(const Status& status, const std::string& endpoint) {
  if (ControllerClient::IsUnreachable(status)) {
    std::fprintf(stderr, "jobctl: cannot reach the controller at %s: %s\n", endpoint.c_str(),
                 status.message().c_str());
    return kExitUnreachable;
  }
  if (status.code() == StatusCode::kPermissionDenied) {
    std::fprintf(stderr, "jobctl: permission denied: %s\n", status.message().c_str());
    return kExitDenied;
  }
  std::fprintf(stderr, "jobctl: %s\n", status.message().empty() ? status.ToString().c_str()
                                                                : status.message().c_str());
  if (status.code() == StatusCode::kNotFound || status.code() == StatusCode::kInvalidArgument) {
    return kExitUsage;
  }
  return kExitFailed;
}

}  // namespace jobctl::cli
