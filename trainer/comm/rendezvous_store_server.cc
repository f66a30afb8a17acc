#include "trainer/comm/rendezvous_store_server.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace jobctl::trainer::comm {
namespace {

constexpr uint32_t kMaxKeyBytes = 64 * 1024;
constexpr uint32_t kMaxValueBytes = 64 * 1024 * 1024;

struct Connection {
  UniqueFd fd;
  std::string in;   // bytes received, not yet parsed
  std::string out;  // bytes to send
  bool waiting = false;  // a 'G' is parked until its key is set
  std::string waiting_key;
  bool closed = false;
};

void AppendReply(std::string& out, char code, const std::string& payload) {
  out.push_back(code);
  AppendU32(out, static_cast<uint32_t>(payload.size()));
  out += payload;
}

// Everything the loop owns; only the loop thread touches it.
class StoreLoop {
 public:
  void Accept(int listener) {
    int fd = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    auto conn = std::make_unique<Connection>();
    conn->fd.Reset(fd);
    conns_.push_back(std::move(conn));
  }

  void Read(Connection& c) {
    char buf[64 * 1024];
    for (;;) {
      ssize_t n = ::recv(c.fd.get(), buf, sizeof(buf), 0);
      if (n > 0) {
        c.in.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) c.closed = true;
      break;
    }
    Parse(c);
  }

  void Write(Connection& c) {
    while (!c.out.empty()) {
      ssize_t n = ::send(c.fd.get(), c.out.data(), c.out.size(), MSG_NOSIGNAL);
      if (n > 0) {
        c.out.erase(0, static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) break;
      c.closed = true;
      break;
    }
  }

  void RemoveClosed() {
    std::erase_if(conns_, [](const std::unique_ptr<Connection>& c) { return c->closed; });
  }

  std::vector<std::unique_ptr<Connection>>& connections() { return conns_; }

 private:
  // Handles every complete request in c.in (a parked 'G' blocks later ones).
  void Parse(Connection& c) {
    while (!c.waiting && !c.closed && c.in.size() >= 5) {
      const char op = c.in[0];
      const uint32_t key_len = ReadU32(c.in.data() + 1);
      if ((op != 'S' && op != 'G') || key_len > kMaxKeyBytes) {
        AppendReply(c.out, 1, "malformed request");
        c.in.clear();
        return;
      }
      size_t need = 5 + key_len;
      if (c.in.size() < need) return;
      std::string key = c.in.substr(5, key_len);
      if (op == 'G') {
        c.in.erase(0, need);
        if (auto it = table_.find(key); it != table_.end()) {
          AppendReply(c.out, 0, it->second);
        } else {
          c.waiting = true;
          c.waiting_key = std::move(key);
        }
        continue;
      }
      if (c.in.size() < need + 4) return;
      const uint32_t value_len = ReadU32(c.in.data() + need);
      if (value_len > kMaxValueBytes) {
        AppendReply(c.out, 1, "value too large");
        c.in.clear();
        return;
      }
      if (c.in.size() < need + 4 + value_len) return;
      table_[key] = c.in.substr(need + 4, value_len);
      c.in.erase(0, need + 4 + value_len);
      AppendReply(c.out, 0, "");
      WakeWaiters(key);
    }
  }

  void WakeWaiters(const std::string& key) {
    const std::string& value = table_[key];
    for (auto& other : conns_) {
      if (other->waiting && other->waiting_key == key) {
        other->waiting = false;
        AppendReply(other->out, 0, value);
        Parse(*other);
      }
    }
  }

  std::map<std::string, std::string> table_;
  std::vector<std::unique_ptr<Connection>> conns_;
};

}  // namespace

Result<std::unique_ptr<RendezvousStoreServer>> RendezvousStoreServer::Start(int port) {
  JOBCTL_ASSIGN_OR_RETURN(UniqueFd listener, ListenOnPort(port));
  JOBCTL_ASSIGN_OR_RETURN(int bound_port, LocalPort(listener.get()));
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    return InternalError("rendezvous store server: pipe2 failed");
  }
  return std::unique_ptr<RendezvousStoreServer>(new RendezvousStoreServer(
      std::move(listener), UniqueFd(pipe_fds[0]), UniqueFd(pipe_fds[1]), bound_port));
}

RendezvousStoreServer::RendezvousStoreServer(UniqueFd listener, UniqueFd wake_read,
                                             UniqueFd wake_write, int port)
    : listener_(std::move(listener)),
      wake_read_(std::move(wake_read)),
      wake_write_(std::move(wake_write)),
      port_(port) {
  thread_ = std::thread([this] { Run(); });
}

RendezvousStoreServer::~RendezvousStoreServer() {
  char byte = 1;
  while (::write(wake_write_.get(), &byte, 1) < 0 && errno == EINTR) {
  }
  thread_.join();
}

void RendezvousStoreServer::Run() {
  StoreLoop loop;
  std::vector<pollfd> fds;
  for (;;) {
    fds.clear();
    fds.push_back({wake_read_.get(), POLLIN, 0});
    fds.push_back({listener_.get(), POLLIN, 0});
    for (auto& c : loop.connections()) {
      short events = POLLIN;
      if (!c->out.empty()) events |= POLLOUT;
      fds.push_back({c->fd.get(), events, 0});
    }
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return;  // nothing sane left to do; clients will time out
    }
    if (fds[0].revents != 0) return;
    if (fds[1].revents & POLLIN) loop.Accept(listener_.get());
    // Connections accepted just now are not in `fds`; they are polled next turn.
    const size_t polled = fds.size() - 2;
    for (size_t i = 0; i < polled; ++i) {
      Connection& c = *loop.connections()[i];
      short revents = fds[i + 2].revents;
      if (revents & (POLLIN | POLLHUP | POLLERR)) loop.Read(c);
    }
    for (auto& c : loop.connections()) {
      if (!c->out.empty()) loop.Write(*c);
    }
    loop.RemoveClosed();
  }
}

}  // namespace jobctl::trainer::comm
