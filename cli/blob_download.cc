#include "cli/blob_download.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>

#include "cli/progress_bar.h"
#include "common/digest/sha256.h"
#include "common/protocol/codec.h"

namespace jobctl::cli {
namespace {

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return UnavailableError("cannot write " + path + ": " + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

}  // namespace

BlobDownloader::BlobDownloader(std::string endpoint, DownloadOptions options,
                               std::optional<auth::ClientCredentials> creds)
    : endpoint_(std::move(endpoint)), options_(options), context_(1) {
  std::random_device rd;
  next_id_ = (static_cast<uint64_t>(rd()) << 20) & ((1ULL << 52) - 1);
  socket_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::dealer);
  socket_->set(zmq::sockopt::linger, 0);
  socket_->set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(protocol::kMaxFrameBytes));
  try {
    auth::ApplyClientCurve(*socket_, creds);
    socket_->connect(endpoint_);
  } catch (const zmq::error_t&) {
    socket_.reset();
  }
}

BlobDownloader::~BlobDownloader() = default;

Status BlobDownloader::Download(const DownloadItem& item,
                                const std::function<void(int64_t)>& on_bytes) {
  if (!socket_) return InvalidArgumentError("bad controller address '" + endpoint_ + "'");
  const auto& f = item.file;
  std::string temp = item.dest + ".jobctl-part-" + std::to_string(::getpid());
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return UnavailableError("cannot create " + temp + ": " + std::strerror(errno));
  auto fail = [&](Status s) {
    ::close(fd);
    ::unlink(temp.c_str());
    return s;
  };
  digest::Sha256Stream hash;
  int64_t requested = 0;                        // bytes asked for
  int64_t written = 0;                          // bytes written, in order
  std::map<uint64_t, int64_t> pending;          // request id -> offset
  std::map<int64_t, std::string> out_of_order;  // offset -> data
  try {
    while (written < f.size || (f.size == 0 && written == 0 && requested == 0)) {
      while (static_cast<int>(pending.size()) < options_.max_in_flight && requested < f.size) {
        protocol::ReadBlobRequest req{f.sha256, requested,
                                      std::min(options_.chunk_bytes, f.size - requested)};
        uint64_t id = ++next_id_;
        std::string frame = protocol::Encode(req, id);
        if (!socket_->send(zmq::buffer(frame), zmq::send_flags::dontwait)) {
          return fail(
              UnavailableError("controller at " + endpoint_ + " is not accepting requests"));
        }
        pending[id] = requested;
        requested += req.length;
      }
      if (f.size == 0) break;
      zmq::pollitem_t item_poll{static_cast<void*>(*socket_), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item_poll, 1, options_.timeout);
      if (!(item_poll.revents & ZMQ_POLLIN)) {
        return fail(UnavailableError("controller at " + endpoint_ + " did not answer within " +
                                     std::to_string(options_.timeout.count()) + " ms"));
      }
      zmq::message_t msg;
      if (!socket_->recv(msg, zmq::recv_flags::dontwait)) continue;
      auto env = protocol::DecodeEnvelope(msg.to_string_view());
      if (!env.ok()) return fail(env.status());
      auto it = pending.find(env->request_id);
      if (it == pending.end()) continue;  // a late reply to an earlier call
      int64_t offset = it->second;
      pending.erase(it);
      if (env->type == protocol::ErrorReply::kType) {
        return fail(protocol::StatusFromErrorReply(*env).WithContext(f.path));
      }
      auto reply = protocol::DecodeBody<protocol::ReadBlobReply>(*env);
      if (!reply.ok()) return fail(reply.status());
      if (reply->size != f.size) {
        return fail(InternalError(f.path + ": the controller's blob has " +
                                  std::to_string(reply->size) + " bytes, the manifest says " +
                                  std::to_string(f.size)));
      }
      if (reply->data.data.empty()) return fail(InternalError(f.path + ": empty read"));
      out_of_order[offset] = std::move(reply->data.data);
      for (auto o = out_of_order.begin(); o != out_of_order.end() && o->first == written;
           o = out_of_order.erase(o)) {
        hash.Update(o->second);
        Status s = WriteAll(fd, o->second, temp);
        if (!s.ok()) return fail(s);
        written += static_cast<int64_t>(o->second.size());
        if (on_bytes) on_bytes(written);
      }
    }
  } catch (const zmq::error_t& e) {
    return fail(UnavailableError("controller at " + endpoint_ + ": " + e.what()));
  }
  std::string got = hash.FinishHex();
  if (got != f.sha256) {
    return fail(InternalError(f.path + ": downloaded bytes hash to " + got.substr(0, 12) +
                              ", expected " + f.sha256.substr(0, 12) + "; nothing written"));
  }
  if (::fchmod(fd, f.mode & 07777) != 0 || ::close(fd) != 0) {
    ::unlink(temp.c_str());
    return UnavailableError("cannot finish " + temp + ": " + std::strerror(errno));
  }
  if (::rename(temp.c_str(), item.dest.c_str()) != 0) {
    Status s = UnavailableError("cannot rename to " + item.dest + ": " + std::strerror(errno));
    ::unlink(temp.c_str());
    return s;
  }
  return Status::Ok();
}

Result<DownloadSummary> BlobDownloader::DownloadAll(const std::vector<DownloadItem>& items) {
  DownloadSummary summary;
  int64_t total = 0;
  for (const auto& i : items) total += i.file.size;
  ProgressBar bar(total, static_cast<int>(items.size()), options_.progress);
  int64_t before = 0;
  for (const auto& item : items) {
    std::error_code ec;
    auto parent = std::filesystem::path(item.dest).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    if (ec) return UnavailableError("cannot create " + parent.string() + ": " + ec.message());
    Status s =
        Download(item, [&](int64_t n) { bar.Update(before + n, summary.files, item.file.path); });
    if (!s.ok()) return s;
    before += item.file.size;
    ++summary.files;
    bar.Update(before, summary.files, item.file.path);
  }
  bar.Finish();
  summary.bytes = before;
  summary.seconds = bar.elapsed_seconds();
  return summary;
}

}  // namespace jobctl::cli
