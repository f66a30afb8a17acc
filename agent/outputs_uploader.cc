#include "agent/outputs_uploader.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <string_view>

#include "agent/dir_entries.h"
#include "agent/paths.h"
#include "common/digest/sha256.h"

namespace jobctl::agent {
namespace {

namespace fs = std::filesystem;

constexpr auto kMaxBackoff = std::chrono::milliseconds(5000);

bool Retryable(const Status& s) {
  return s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kDeadlineExceeded ||
         s.code() == StatusCode::kResourceExhausted || s.code() == StatusCode::kInternal;
}

Result<std::string> ReadRange(const std::string& path, int64_t offset, int64_t length) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return UnavailableError("cannot open " + path + ": " + std::strerror(errno));
  std::string out(static_cast<size_t>(length), '\0');
  int64_t done = 0;
  while (done < length) {
    ssize_t n = ::pread(fd, out.data() + done, static_cast<size_t>(length - done), offset + done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::string why = n < 0 ? std::strerror(errno) : "the file shrank";
      ::close(fd);
      return UnavailableError("cannot read " + path + ": " + why);
    }
    done += n;
  }
  ::close(fd);
  return out;
}

}  // namespace

Result<std::vector<protocol::OutputFile>> ScanOutputs(const OutputsUploadJob& job,
                                                      std::vector<std::string>* local_paths) {
  std::vector<std::pair<protocol::OutputFile, std::string>> found;
  for (int rank : job.ranks) {
    fs::path root = paths::RankOutputsDir(job.work_dir, job.job_id, job.attempt, rank);
    std::error_code ec;
    if (!fs::is_directory(root, ec)) continue;
    std::string prefix = rank == 0 ? "" : "rank-" + std::to_string(rank) + "/";
    fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
    if (ec) return UnavailableError("cannot list " + root.string() + ": " + ec.message());
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) return UnavailableError("cannot list " + root.string() + ": " + ec.message());
      const auto& entry = *it;
      std::error_code sec;
      auto status = entry.symlink_status(sec);
      if (sec || !fs::is_regular_file(status)) {
        if (fs::is_symlink(status)) {
          spdlog::warn("job {} outputs: skipping symbolic link {}", job.job_id,
                       entry.path().string());
        }
        continue;
      }
      protocol::OutputFile f;
      f.path = prefix + entry.path().lexically_relative(root).generic_string();
      f.mode = static_cast<uint32_t>(status.permissions()) & 07777;
      JOBCTL_ASSIGN_OR_RETURN(f.sha256, digest::Sha256File(entry.path().string(), &f.size));
      found.emplace_back(std::move(f), entry.path().string());
    }
  }
  std::sort(found.begin(), found.end(),
            [](const auto& a, const auto& b) { return a.first.path < b.first.path; });
  std::vector<protocol::OutputFile> files;
  local_paths->clear();
  for (auto& [f, local] : found) {
    files.push_back(std::move(f));
    local_paths->push_back(std::move(local));
  }
  return files;
}

bool OutputsSurelyEmpty(const OutputsUploadJob& job) {
  for (int rank : job.ranks) {
    auto empty = DirIsEmpty(paths::RankOutputsDir(job.work_dir, job.job_id, job.attempt, rank));
    if (!empty.has_value()) continue;  // the scan skips a missing folder too
    if (!*empty) return false;
  }
  return true;
}

namespace {

// One pool for every uploader of the process: starting and joining a thread
// per attempt cost more than a trivial job's whole upload. Each uploader
// runs its work on its own strand, so its tasks stay in order.
boost::asio::thread_pool& SharedWorkers() {
  static boost::asio::thread_pool pool(2);
  return pool;
}

}  // namespace

OutputsUploader::OutputsUploader(boost::asio::io_context& io, ControllerLink* link,
                                 OutputsUploadJob job, OutputsUploaderOptions options,
                                 std::function<void()> on_done)
    : io_(io),
      link_(link),
      job_(std::move(job)),
      options_(options),
      on_done_(std::move(on_done)),
      worker_(boost::asio::make_strand(SharedWorkers())),
      retry_timer_(io),
      backoff_(options.retry_delay) {}

OutputsUploader::~OutputsUploader() {
  *alive_ = false;
  // Waits for a worker task that is posting back right now; later ones
  // see the gate closed and drop their result.
  std::lock_guard<std::mutex> lock(gate_->mu);
  gate_->open = false;
}

void OutputsUploader::Start() {
  started_ = std::chrono::steady_clock::now();
  boost::asio::post(worker_, [this, job = job_, alive = alive_, gate = gate_, &io = io_] {
    {
      std::lock_guard<std::mutex> lock(gate->mu);
      if (!gate->open) return;
    }
    std::vector<std::string> local;
    auto files = ScanOutputs(job, &local);
    std::lock_guard<std::mutex> lock(gate->mu);
    if (!gate->open) return;
    boost::asio::post(io,
                      [this, alive, files = std::move(files), local = std::move(local)]() mutable {
                        if (*alive) OnScanned(std::move(files), std::move(local));
                      });
  });
}

void OutputsUploader::OnScanned(Result<std::vector<protocol::OutputFile>> files,
                                std::vector<std::string> local) {
  if (!files.ok()) return Fail(files.status().message());
  files_ = std::move(*files);
  local_paths_ = std::move(local);
  int64_t bytes = 0;
  for (const auto& f : files_) bytes += f.size;
  // An attempt that wrote nothing (the common short job) logs at debug level.
  spdlog::log(files_.empty() ? spdlog::level::debug : spdlog::level::info,
              "job {} attempt {}: uploading outputs ({} files, {} bytes)", job_.job_id,
              job_.attempt, files_.size(), bytes);
  AskMissing();
}

void OutputsUploader::AskMissing() {
  if (files_.empty()) {
    // No blob to ask about: the (empty) manifest is all there is to send.
    wants_.clear();
    next_want_ = 0;
    next_offset_ = 0;
    blobs_stored_ = 0;
    in_flight_ = 0;
    return Commit("");
  }
  protocol::OutputsMissingRequest req;
  req.node_id = job_.node_id;
  req.job_id = job_.job_id;
  for (const auto& f : files_) req.blobs.push_back({f.sha256, f.size});
  uint64_t gen = generation_;
  link_->Call(
      req, options_.request_timeout, [this, alive = alive_, gen](Result<protocol::Envelope> reply) {
        if (!*alive || gen != generation_) return;
        if (!reply.ok()) {
          return Retryable(reply.status()) ? Retry(reply.status()) : Fail(reply.status().message());
        }
        auto r = protocol::DecodeBody<protocol::OutputsMissingReply>(*reply);
        if (!r.ok()) return Fail(r.status().message());
        std::map<std::string, size_t> by_sha;
        for (size_t i = 0; i < files_.size(); ++i) by_sha.emplace(files_[i].sha256, i);
        wants_.clear();
        for (const auto& w : r->missing) {
          auto it = by_sha.find(w.sha256);
          if (it == by_sha.end()) continue;
          int64_t offset = std::clamp<int64_t>(w.offset, 0, files_[it->second].size);
          wants_.push_back({it->second, offset});
        }
        next_want_ = 0;
        next_offset_ = wants_.empty() ? 0 : wants_[0].offset;
        blobs_stored_ = 0;
        in_flight_ = 0;
        if (wants_.empty()) return Commit("");
        Pump();
      });
}

void OutputsUploader::Pump() {
  while (in_flight_ < options_.max_in_flight && next_want_ < wants_.size()) {
    size_t want = next_want_;
    const auto& file = files_[wants_[want].file];
    int64_t offset = next_offset_;
    int64_t length = std::min<int64_t>(options_.chunk_bytes, file.size - offset);
    next_offset_ += length;
    if (next_offset_ >= file.size) {
      ++next_want_;
      next_offset_ = next_want_ < wants_.size() ? wants_[next_want_].offset : 0;
    }
    ++in_flight_;
    boost::asio::post(worker_, [this, path = local_paths_[wants_[want].file], offset, length,
                                gen = generation_, want, alive = alive_, gate = gate_, &io = io_] {
      {
        std::lock_guard<std::mutex> lock(gate->mu);
        if (!gate->open) return;
      }
      auto data = ReadRange(path, offset, length);
      std::lock_guard<std::mutex> lock(gate->mu);
      if (!gate->open) return;
      boost::asio::post(io, [this, alive, gen, want, offset, data = std::move(data)]() mutable {
        if (*alive) SendChunk(gen, want, offset, std::move(data));
      });
    });
  }
}

void OutputsUploader::SendChunk(uint64_t generation, size_t want, int64_t offset,
                                Result<std::string> data) {
  if (generation != generation_) return;
  const auto& file = files_[wants_[want].file];
  if (!data.ok()) return Fail(data.status().message());
  protocol::BlobChunkRequest req;
  req.node_id = job_.node_id;
  req.job_id = job_.job_id;
  req.sha256 = file.sha256;
  req.size = file.size;
  req.offset = offset;
  int64_t end = offset + static_cast<int64_t>(data->size());
  req.data.data = std::move(*data);
  link_->Call(req, options_.request_timeout,
              [this, alive = alive_, generation, want, end](Result<protocol::Envelope> reply) {
                if (*alive) OnChunkReply(generation, want, end, std::move(reply));
              });
}

void OutputsUploader::OnChunkReply(uint64_t generation, size_t want, int64_t end,
                                   Result<protocol::Envelope> reply) {
  if (generation != generation_) return;
  --in_flight_;
  if (!reply.ok()) {
    if (Retryable(reply.status())) return Retry(reply.status());
    return Fail("uploading " + files_[wants_[want].file].path + ": " + reply.status().message());
  }
  auto r = protocol::DecodeBody<protocol::BlobChunkReply>(*reply);
  if (!r.ok()) return Fail(r.status().message());
  const auto& file = files_[wants_[want].file];
  if (r->stored) {
    if (end >= file.size) ++blobs_stored_;
  } else if (r->next_offset != end) {
    // The controller holds other bytes than we sent (it lost a partial blob).
    return Retry(UnavailableError("controller holds " + std::to_string(r->next_offset) +
                                  " bytes of " + file.path + ", expected " + std::to_string(end)));
  }
  backoff_ = options_.retry_delay;
  if (in_flight_ == 0 && next_want_ >= wants_.size()) {
    if (blobs_stored_ < wants_.size()) {
      return Retry(UnavailableError("some blobs were not stored"));
    }
    return Commit("");
  }
  Pump();
}

void OutputsUploader::Commit(const std::string& error) {
  if (error.empty() && files_.empty() && send_empty_) {
    uint64_t gen = generation_;
    protocol::EmptyOutputs outputs{job_.job_id, job_.attempt, job_.node_rank, job_.num_nodes};
    return send_empty_(std::move(outputs), [this, alive = alive_, gen](const Status& s) {
      if (!*alive || gen != generation_) return;
      if (!s.ok()) return Fail(s.message());
      spdlog::debug("job {} attempt {}: outputs stored", job_.job_id, job_.attempt);
      stored_ = true;
      Finish();
    });
  }
  protocol::OutputsCommitRequest req;
  req.node_id = job_.node_id;
  req.job_id = job_.job_id;
  req.attempt = job_.attempt;
  req.node_rank = job_.node_rank;
  req.num_nodes = job_.num_nodes;
  if (error.empty()) req.files = files_;
  req.error = error;
  uint64_t gen = generation_;
  link_->Call(
      req, options_.request_timeout,
      [this, alive = alive_, gen, error](Result<protocol::Envelope> reply) {
        if (!*alive || gen != generation_) return;
        if (reply.ok()) {
          if (error.empty()) {
            spdlog::log(files_.empty() ? spdlog::level::debug : spdlog::level::info,
                        "job {} attempt {}: outputs stored", job_.job_id, job_.attempt);
            stored_ = true;
          }
          return Finish();
        }
        const Status& s = reply.status();
        if (Retryable(s) || (error.empty() && s.code() == StatusCode::kFailedPrecondition)) {
          // Down, or a blob went missing: ask again what to send.
          if (!error.empty()) failure_ = error;
          return Retry(s);
        }
        if (error.empty()) return Fail(s.message());
        spdlog::error("job {} attempt {}: controller refused the outputs failure report: {}",
                      job_.job_id, job_.attempt, s.ToString());
        Finish();
      });
}

void OutputsUploader::Retry(const Status& why) {
  ++generation_;
  in_flight_ = 0;
  if (std::chrono::steady_clock::now() - started_ > options_.give_up_after) {
    spdlog::error("job {} attempt {}: giving up on uploading outputs: {}", job_.job_id,
                  job_.attempt, why.ToString());
    return Finish();
  }
  spdlog::warn("job {} attempt {}: outputs upload: {}; retrying in {} ms", job_.job_id,
               job_.attempt, why.ToString(), backoff_.count());
  retry_timer_.expires_after(backoff_);
  backoff_ = std::min(backoff_ * 2, kMaxBackoff);
  retry_timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (ec || !*alive) return;
    if (!failure_.empty()) return Commit(failure_);
    AskMissing();
  });
}

void OutputsUploader::Fail(const std::string& error) {
  spdlog::error("job {} attempt {}: outputs upload failed: {}", job_.job_id, job_.attempt, error);
  ++generation_;
  in_flight_ = 0;
  failure_ = error;
  Commit(error);
}

void OutputsUploader::Finish() {
  if (done_) return;
  done_ = true;
  ++generation_;
  if (on_done_) boost::asio::post(io_, std::move(on_done_));
}

}  // namespace jobctl::agent
