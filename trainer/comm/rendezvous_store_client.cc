#include "trainer/comm/rendezvous_store_client.h"

#include <utility>

namespace jobctl::trainer::comm {
namespace {

std::string EncodeRequest(char op, const std::string& key, const std::string* value) {
  std::string out;
  out.push_back(op);
  AppendU32(out, static_cast<uint32_t>(key.size()));
  out += key;
  if (value != nullptr) {
    AppendU32(out, static_cast<uint32_t>(value->size()));
    out += *value;
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<RendezvousStoreClient>> RendezvousStoreClient::Connect(
    const std::string& host, int port, std::chrono::milliseconds timeout) {
  auto fd = ConnectWithRetry(host, port, DeadlineAfter(timeout));
  if (!fd.ok()) return fd.status().WithContext("rendezvous store");
  return std::unique_ptr<RendezvousStoreClient>(
      new RendezvousStoreClient(host, port, std::move(fd).value()));
}

Result<std::string> RendezvousStoreClient::RoundTrip(const std::string& request,
                                                     Deadline deadline, const std::string& what) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string where = "rendezvous store " + host_ + ":" + std::to_string(port_);
  if (!fd_.valid()) {
    auto fd = ConnectWithRetry(host_, port_, deadline);
    if (!fd.ok()) return fd.status().WithContext(where + ": " + what);
    fd_ = std::move(fd).value();
  }
  auto fail = [&](const Status& s) {
    fd_.Reset();  // the stream is in an unknown state: start afresh next time
    return s.WithContext(where + ": " + what);
  };
  if (Status s = SendAll(fd_.get(), request.data(), request.size(), deadline); !s.ok()) {
    return fail(s);
  }
  char header[5];
  if (Status s = RecvAll(fd_.get(), header, sizeof(header), deadline); !s.ok()) return fail(s);
  std::string payload(ReadU32(header + 1), '\0');
  if (Status s = RecvAll(fd_.get(), payload.data(), payload.size(), deadline); !s.ok()) {
    return fail(s);
  }
  if (header[0] != 0) return fail(InternalError("server rejected the request: " + payload));
  return payload;
}

Status RendezvousStoreClient::Set(const std::string& key, const std::string& value,
                                  std::chrono::milliseconds timeout) {
  auto reply = RoundTrip(EncodeRequest('S', key, &value), DeadlineAfter(timeout),
                         "set '" + key + "'");
  return reply.status();
}

Result<std::string> RendezvousStoreClient::Get(const std::string& key,
                                               std::chrono::milliseconds timeout) {
  auto reply = RoundTrip(EncodeRequest('G', key, nullptr), DeadlineAfter(timeout),
                         "get '" + key + "'");
  if (!reply.ok() && reply.status().code() == StatusCode::kDeadlineExceeded) {
    return DeadlineExceededError("key '" + key + "' was not set within " +
                                 std::to_string(timeout.count()) + " ms (" +
                                 reply.status().message() + ")");
  }
  return reply;
}

Status RendezvousStoreClient::Wait(const std::vector<std::string>& keys,
                                   std::chrono::milliseconds timeout) {
  const Deadline deadline = DeadlineAfter(timeout);
  for (const std::string& key : keys) {
    auto left = std::chrono::milliseconds(MillisecondsLeft(deadline));
    auto value = Get(key, left);
    if (!value.ok()) {
      if (value.status().code() == StatusCode::kDeadlineExceeded) {
        return DeadlineExceededError("key '" + key + "' was not set within " +
                                     std::to_string(timeout.count()) + " ms");
      }
      return value.status();
    }
  }
  return Status::Ok();
}

}  // namespace jobctl::trainer::comm
