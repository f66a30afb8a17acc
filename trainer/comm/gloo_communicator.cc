#include "trainer/comm/gloo_communicator.h"

#include <gloo/allreduce.h>
#include <gloo/barrier.h>
#include <gloo/broadcast.h>
#include <gloo/common/error.h>
#include <gloo/common/logging.h>
#include <gloo/rendezvous/context.h>
#include <gloo/rendezvous/store.h>
#include <gloo/transport/tcp/device.h>

#include <cctype>
#include <csignal>
#include <deque>
#include <exception>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "trainer/comm/rendezvous.h"
#include "trainer/comm/socket_io.h"

namespace jobctl::trainer {
namespace {

constexpr uint32_t kAllReduceTag = 1;
constexpr uint32_t kBroadcastTag = 2;
constexpr uint32_t kBarrierTag = 3;
constexpr size_t kMaxCachedAllReduces = 16;

// Element-wise c = a + b (c may be a). Compiled at -O3 (see CMakeLists.txt)
// so the loop is vectorised: it runs on every received segment.
void SumFloats(void* c, const void* a, const void* b, size_t n) {
  float* out = static_cast<float*>(c);
  const float* x = static_cast<const float*>(a);
  const float* y = static_cast<const float*>(b);
  for (size_t i = 0; i < n; ++i) out[i] = x[i] + y[i];
}

bool IsNumber(const std::string& s) {
  if (s.empty()) return false;
  for (char ch : s) {
    if (!std::isdigit(static_cast<unsigned char>(ch))) return false;
  }
  return true;
}

// gloo::rendezvous::Store over our RendezvousStore. Gloo expects exceptions;
// the Status behind the last one is kept so the edge can return it intact.
class GlooStoreAdapter : public gloo::rendezvous::Store {
 public:
  GlooStoreAdapter(std::shared_ptr<comm::RendezvousStore> store, std::string prefix,
                   std::chrono::milliseconds timeout)
      : store_(std::move(store)), prefix_(std::move(prefix)), timeout_(timeout) {}

  void set(const std::string& key, const std::vector<char>& data) override {
    Check(store_->Set(prefix_ + key, std::string(data.begin(), data.end()), timeout_), key);
  }
  std::vector<char> get(const std::string& key) override {
    auto value = store_->Get(prefix_ + key, timeout_);
    Check(value.status(), key);
    return std::vector<char>(value->begin(), value->end());
  }
  void wait(const std::vector<std::string>& keys) override { wait(keys, timeout_); }
  void wait(const std::vector<std::string>& keys,
            const std::chrono::milliseconds& timeout) override {
    for (const std::string& key : keys) {
      auto value = store_->Get(prefix_ + key, std::min(timeout, timeout_));
      Check(value.status(), key);
    }
  }

  const Status& last_error() const { return last_error_; }

 private:
  void Check(const Status& status, const std::string& key) {
    if (status.ok()) return;
    last_error_ = status;
    // Gloo's full-mesh keys are the rank numbers: say which rank is missing.
    if (IsNumber(key) && status.code() == StatusCode::kDeadlineExceeded) {
      last_error_ = DeadlineExceededError("rank " + key + " did not join the rendezvous within " +
                                          std::to_string(timeout_.count()) + " ms (" +
                                          status.message() + ")");
    }
    throw gloo::IoException(last_error_.message());
  }

  std::shared_ptr<comm::RendezvousStore> store_;
  const std::string prefix_;
  const std::chrono::milliseconds timeout_;
  Status last_error_;
};

class GlooCommunicator : public Communicator {
 public:
  GlooCommunicator(const RendezvousConfig& config, comm::RendezvousSession session,
                   std::shared_ptr<gloo::rendezvous::Context> context)
      : config_(config), session_(std::move(session)), context_(std::move(context)) {}

  int rank() const override { return config_.rank; }
  int world_size() const override { return config_.world_size; }
  MemoryKind memory_kind() const override { return MemoryKind::kHost; }

  Status AllReduceAverage(float* data, size_t count) override {
    JOBCTL_RETURN_IF_ERROR(CheckUsable("all-reduce"));
    if (count == 0) return Status::Ok();
    if (data == nullptr) return InvalidArgumentError("all-reduce of a null buffer");
    gloo::AllreduceOptions& options = AllReduceOptionsFor(data, count);
    JOBCTL_RETURN_IF_ERROR(Guard("all-reduce", [&] { gloo::allreduce(options); }));
    const float world = static_cast<float>(config_.world_size);
    for (size_t i = 0; i < count; ++i) data[i] /= world;
    return Status::Ok();
  }

  Status Broadcast(float* data, size_t count, int root) override {
    JOBCTL_RETURN_IF_ERROR(CheckUsable("broadcast"));
    if (root < 0 || root >= config_.world_size) {
      return InvalidArgumentError("broadcast root " + std::to_string(root) + " is not in [0, " +
                                  std::to_string(config_.world_size) + ")");
    }
    if (count == 0) return Status::Ok();
    if (data == nullptr) return InvalidArgumentError("broadcast of a null buffer");
    return Guard("broadcast", [&] {
      gloo::BroadcastOptions options(context_);
      options.setOutput(data, count);
      options.setRoot(root);
      options.setTag(kBroadcastTag);
      options.setTimeout(config_.timeout);
      gloo::broadcast(options);
    });
  }

  Status Barrier() override {
    JOBCTL_RETURN_IF_ERROR(CheckUsable("barrier"));
    return Guard("barrier", [&] {
      gloo::BarrierOptions options(context_);
      options.setTag(kBarrierTag);
      options.setTimeout(config_.timeout);
      gloo::barrier(options);
    });
  }

 private:
  struct CachedAllReduce {
    float* data;
    size_t count;
    std::unique_ptr<gloo::AllreduceOptions> options;
  };

  gloo::AllreduceOptions& AllReduceOptionsFor(float* data, size_t count) {
    for (auto& entry : cache_) {
      if (entry.data == data && entry.count == count) return *entry.options;
    }
    if (cache_.size() >= kMaxCachedAllReduces) cache_.pop_front();
    auto options = std::make_unique<gloo::AllreduceOptions>(context_);
    options->setOutput(data, count);
    options->setAlgorithm(gloo::AllreduceOptions::Algorithm::RING);
    options->setReduceFunction(&SumFloats);
    options->setTag(kAllReduceTag);
    options->setTimeout(config_.timeout);
    cache_.push_back({data, count, std::move(options)});
    return *cache_.back().options;
  }

  Status CheckUsable(const char* op) const {
    if (broken_.ok()) return Status::Ok();
    return FailedPreconditionError(std::string(op) +
                                   ": communicator is broken by an earlier error: " +
                                   broken_.message());
  }

  // Runs a Gloo call; its exceptions become a Status (and break the
  // communicator: Gloo's pairs are unusable after an I/O error).
  template <typename Fn>
  Status Guard(const char* op, Fn&& fn) {
    Status status;
    try {
      fn();
      return Status::Ok();
    } catch (const gloo::IoException& e) {
      status = IoStatus(op, e.what());
    } catch (const gloo::EnforceNotMet& e) {
      status = InternalError(Describe(op) + ": " + e.what());
    } catch (const std::exception& e) {
      status = UnavailableError(Describe(op) + ": " + e.what());
    }
    broken_ = status;
    return status;
  }

  Status IoStatus(const char* op, const std::string& what) const {
    std::string message = Describe(op) + ": " + what;
    if (what.find("Timed out") != std::string::npos || what.find("timed out") != std::string::npos) {
      return DeadlineExceededError(message + " (a peer stalled or is gone; timeout " +
                                   std::to_string(config_.timeout.count()) + " ms)");
    }
    return UnavailableError(message + " (a peer exited or its connection broke)");
  }

  std::string Describe(const char* op) const {
    std::string text = std::string("gloo ") + op + " on rank " + std::to_string(config_.rank) +
                       " of " + std::to_string(config_.world_size);
    if (config_.world_size == 2) text += " (peer: rank " + std::to_string(1 - config_.rank) + ")";
    return text;
  }

  const RendezvousConfig config_;
  comm::RendezvousSession session_;  // keeps rank 0's store served while peers need it
  std::shared_ptr<gloo::rendezvous::Context> context_;
  std::deque<CachedAllReduce> cache_;
  Status broken_;
};

Result<std::unique_ptr<Communicator>> Connect(const RendezvousConfig& config,
                                              comm::RendezvousSession session) {
  // Bind Gloo's pairs to the interface that reaches MASTER_ADDR, so peers on
  // other nodes can reach us; fall back to the loopback for a local job.
  auto local = comm::LocalAddressReaching(config.master_addr);
  gloo::transport::tcp::attr attr;
  attr.hostname = local.ok() ? *local : std::string("127.0.0.1");
  GlooStoreAdapter adapter(session.store, "gloo/", config.timeout);
  // Gloo's TCP pairs write with writev, which raises SIGPIPE once a peer has
  // closed its socket: the process died instead of getting the write error
  // (GlooDeadPeerTest.APeerThatLeavesMidwayGivesAnErrorNotAHang, now and then).
  static std::once_flag ignore_sigpipe;
  std::call_once(ignore_sigpipe, [] { ::signal(SIGPIPE, SIG_IGN); });
  try {
    auto device = gloo::transport::tcp::CreateDevice(attr);
    auto context = std::make_shared<gloo::rendezvous::Context>(config.rank, config.world_size);
    context->setTimeout(config.timeout);
    context->connectFullMesh(adapter, device);
    return std::unique_ptr<Communicator>(
        new GlooCommunicator(config, std::move(session), std::move(context)));
  } catch (const std::exception& e) {
    const std::string where = "gloo rendezvous of rank " + std::to_string(config.rank) + " of " +
                              std::to_string(config.world_size);
    if (!adapter.last_error().ok()) return adapter.last_error().WithContext(where);
    std::string what = e.what();
    if (what.find("Timed out") != std::string::npos || what.find("timed out") != std::string::npos) {
      return DeadlineExceededError(where + ": " + what);
    }
    return UnavailableError(where + ": " + what);
  }
}

}  // namespace

Result<std::unique_ptr<Communicator>> CreateGlooCommunicator(const RendezvousConfig& config) {
  JOBCTL_RETURN_IF_ERROR(comm::ValidateRendezvousConfig(config));
  if (config.world_size == 1) return CreateLocalCommunicator(MemoryKind::kHost);
  JOBCTL_ASSIGN_OR_RETURN(comm::RendezvousSession session, comm::JoinRendezvous(config));
  return Connect(config, std::move(session));
}

Result<std::unique_ptr<Communicator>> CreateGlooCommunicatorWithStore(
    const RendezvousConfig& config, std::shared_ptr<comm::RendezvousStore> store) {
  RendezvousConfig checked = config;
  checked.master_port = checked.master_port == 0 ? 1 : checked.master_port;  // unused here
  JOBCTL_RETURN_IF_ERROR(comm::ValidateRendezvousConfig(checked));
  if (store == nullptr) return InvalidArgumentError("rendezvous store is null");
  if (config.world_size == 1) return CreateLocalCommunicator(MemoryKind::kHost);
  comm::RendezvousSession session;
  session.store = std::move(store);
  return Connect(config, std::move(session));
}

}  // namespace jobctl::trainer
