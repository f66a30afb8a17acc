#include "trainer/comm/nccl_communicator.h"

#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <utility>

#include "trainer/comm/rendezvous.h"
#include "trainer/cuda/cuda_check.h"
#include "trainer/cuda/device.h"

namespace jobctl::trainer {
namespace {

// Why NCCL cannot be used here, or OK.
Status NcclUsable() {
#ifndef JOBCTL_HAVE_NCCL
  return FailedPreconditionError(
      "NCCL communicator unavailable: jobtrainer was built without NCCL (CUDA toolkit or "
      "libnccl not found at build time); use the Gloo communicator");
#else
  if (cuda::CudaDeviceCount() == 0) {
    return FailedPreconditionError("NCCL communicator unavailable: no CUDA GPU is visible (" +
                                   cuda::NoCudaDeviceReason() + ")");
  }
  return Status::Ok();
#endif
}

#ifdef JOBCTL_HAVE_NCCL

using Clock = std::chrono::steady_clock;

constexpr char kUniqueIdKey[] = "nccl/unique_id";

class NcclCommunicator : public Communicator {
 public:
  NcclCommunicator(const RendezvousConfig& config, comm::RendezvousSession session)
      : config_(config), session_(std::move(session)) {}

  ~NcclCommunicator() override {
    if (comm_ != nullptr) {
      deadline_ = Clock::now() + config_.timeout;
      // A healthy communicator is finalised (flushes outstanding work); a
      // broken one is aborted, which never waits on a peer.
      if (broken_.ok() && ncclCommFinalize(comm_) == ncclSuccess &&
          WaitForComm("finalize").ok()) {
        ncclCommDestroy(comm_);
      } else {
        ncclCommAbort(comm_);
      }
    }
    if (scratch_ != nullptr) cudaFree(scratch_);
    if (stream_ != nullptr) cudaStreamDestroy(stream_);
  }

  Status Init() {
    const int devices = cuda::CudaDeviceCount();
    device_ = config_.local_rank % devices;
    JOBCTL_CUDA_RETURN_IF_ERROR(cudaSetDevice(device_));
    ncclUniqueId id;
    const auto timeout = config_.timeout;
    if (config_.rank == 0) {
      JOBCTL_CUDA_RETURN_IF_ERROR(ncclGetUniqueId(&id));
      JOBCTL_RETURN_IF_ERROR(session_.store->Set(
          kUniqueIdKey, std::string(reinterpret_cast<const char*>(&id), sizeof(id)), timeout));
    } else {
      auto value = session_.store->Get(kUniqueIdKey, timeout);
      if (!value.ok()) {
        return value.status().WithContext("rank " + std::to_string(config_.rank) +
                                          " waiting for rank 0's NCCL unique id");
      }
      if (value->size() != sizeof(id)) {
        return InternalError("NCCL unique id from the store has " +
                             std::to_string(value->size()) + " bytes, expected " +
                             std::to_string(sizeof(id)));
      }
      std::memcpy(&id, value->data(), sizeof(id));
    }
    // A blocking stream: ordered with the legacy default stream.
    JOBCTL_CUDA_RETURN_IF_ERROR(cudaStreamCreate(&stream_));
    JOBCTL_CUDA_RETURN_IF_ERROR(cudaMalloc(&scratch_, sizeof(float)));
    ncclConfig_t nccl_config = NCCL_CONFIG_INITIALIZER;
    nccl_config.blocking = 0;
    deadline_ = Clock::now() + timeout;
    Status init = JOBCTL_CUDA_STATUS(
        ncclCommInitRankConfig(&comm_, config_.world_size, id, config_.rank, &nccl_config));
    if (init.ok()) init = WaitForComm("init");
    if (!init.ok()) {
      broken_ = init;
      return init.WithContext("NCCL rendezvous of rank " + std::to_string(config_.rank) + " of " +
                              std::to_string(config_.world_size));
    }
    return Status::Ok();
  }

  int rank() const override { return config_.rank; }
  int world_size() const override { return config_.world_size; }
  MemoryKind memory_kind() const override { return MemoryKind::kDevice; }

  Status AllReduceAverage(float* data, size_t count) override {
    JOBCTL_RETURN_IF_ERROR(CheckUsable("all-reduce"));
    if (count == 0) return Status::Ok();
    return Run("all-reduce", [&] {
      return JOBCTL_CUDA_STATUS(
          ncclAllReduce(data, data, count, ncclFloat, ncclAvg, comm_, stream_));
    });
  }

  Status Broadcast(float* data, size_t count, int root) override {
    JOBCTL_RETURN_IF_ERROR(CheckUsable("broadcast"));
    if (root < 0 || root >= config_.world_size) {
      return InvalidArgumentError("broadcast root " + std::to_string(root) + " is not in [0, " +
                                  std::to_string(config_.world_size) + ")");
    }
    if (count == 0) return Status::Ok();
    return Run("broadcast", [&] {
      return JOBCTL_CUDA_STATUS(
          ncclBroadcast(data, data, count, ncclFloat, root, comm_, stream_));
    });
  }

  // NCCL has no barrier: an all-reduce of one float does the job.
  Status Barrier() override {
    JOBCTL_RETURN_IF_ERROR(CheckUsable("barrier"));
    return Run("barrier", [&] {
      return JOBCTL_CUDA_STATUS(
          ncclAllReduce(scratch_, scratch_, 1, ncclFloat, ncclSum, comm_, stream_));
    });
  }

 private:
  Status CheckUsable(const char* op) const {
    if (broken_.ok()) return Status::Ok();
    return FailedPreconditionError(std::string(op) +
                                   ": NCCL communicator is broken by an earlier error: " +
                                   broken_.message());
  }

  // Enqueues a collective and waits for it, all before the deadline.
  template <typename Enqueue>
  Status Run(const char* op, Enqueue&& enqueue) {
    deadline_ = Clock::now() + config_.timeout;
    Status status = cuda::internal::CheckCudaResult(cudaSetDevice(device_), "cudaSetDevice",
                                                     __FILE__, __LINE__);
    if (status.ok()) status = enqueue();
    if (status.ok()) status = WaitForComm(op);
    if (status.ok()) status = WaitForStream(op);
    if (!status.ok()) {
      broken_ = status;
      ncclCommAbort(comm_);  // unblocks the stream; the communicator is gone
      comm_ = nullptr;
      return status.WithContext(Describe(op));
    }
    return Status::Ok();
  }

  // Polls the communicator until it leaves ncclInProgress, an error, or the deadline.
  Status WaitForComm(const char* op) {
    for (;;) {
      ncclResult_t state = ncclSuccess;
      JOBCTL_RETURN_IF_ERROR(JOBCTL_CUDA_STATUS(ncclCommGetAsyncError(comm_, &state)));
      if (state == ncclSuccess) return Status::Ok();
      if (state != ncclInProgress) return JOBCTL_CUDA_STATUS(state);
      if (Clock::now() >= deadline_) return TimedOut(op);
      std::this_thread::yield();
    }
  }

  // Polls the stream (and the communicator's async error) until done.
  Status WaitForStream(const char* op) {
    for (;;) {
      cudaError_t query = cudaStreamQuery(stream_);
      if (query == cudaSuccess) return Status::Ok();
      if (query != cudaErrorNotReady) return JOBCTL_CUDA_STATUS(query);
      ncclResult_t state = ncclSuccess;
      JOBCTL_RETURN_IF_ERROR(JOBCTL_CUDA_STATUS(ncclCommGetAsyncError(comm_, &state)));
      if (state != ncclSuccess && state != ncclInProgress) return JOBCTL_CUDA_STATUS(state);
      if (Clock::now() >= deadline_) return TimedOut(op);
      std::this_thread::yield();
    }
  }

  Status TimedOut(const char* op) const {
    return DeadlineExceededError(std::string("NCCL ") + op + " did not complete within " +
                                 std::to_string(config_.timeout.count()) +
                                 " ms (a peer stalled or is gone); communicator aborted");
  }

  std::string Describe(const char* op) const {
    return std::string("nccl ") + op + " on rank " + std::to_string(config_.rank) + " of " +
           std::to_string(config_.world_size);
  }

  const RendezvousConfig config_;
  comm::RendezvousSession session_;  // keeps rank 0's store served
  int device_ = 0;
  ncclComm_t comm_ = nullptr;
  cudaStream_t stream_ = nullptr;
  float* scratch_ = nullptr;
  Clock::time_point deadline_;
  Status broken_;
};

Result<std::unique_ptr<Communicator>> Connect(const RendezvousConfig& config,
                                              comm::RendezvousSession session) {
  auto communicator = std::make_unique<NcclCommunicator>(config, std::move(session));
  JOBCTL_RETURN_IF_ERROR(communicator->Init());
  return std::unique_ptr<Communicator>(std::move(communicator));
}

#endif  // JOBCTL_HAVE_NCCL

}  // namespace

Result<std::unique_ptr<Communicator>> CreateNcclCommunicator(const RendezvousConfig& config) {
  JOBCTL_RETURN_IF_ERROR(comm::ValidateRendezvousConfig(config));
  JOBCTL_RETURN_IF_ERROR(NcclUsable());
  if (config.world_size == 1) return CreateLocalCommunicator(MemoryKind::kDevice);
#ifdef JOBCTL_HAVE_NCCL
  JOBCTL_ASSIGN_OR_RETURN(comm::RendezvousSession session, comm::JoinRendezvous(config));
  return Connect(config, std::move(session));
#else
  return FailedPreconditionError("unreachable: built without NCCL");
#endif
}

Result<std::unique_ptr<Communicator>> CreateNcclCommunicatorWithStore(
    const RendezvousConfig& config, std::shared_ptr<comm::RendezvousStore> store) {
  RendezvousConfig checked = config;
  checked.master_port = checked.master_port == 0 ? 1 : checked.master_port;  // unused here
  JOBCTL_RETURN_IF_ERROR(comm::ValidateRendezvousConfig(checked));
  if (store == nullptr) return InvalidArgumentError("rendezvous store is null");
  JOBCTL_RETURN_IF_ERROR(NcclUsable());
  if (config.world_size == 1) return CreateLocalCommunicator(MemoryKind::kDevice);
#ifdef JOBCTL_HAVE_NCCL
  comm::RendezvousSession session;
  session.store = std::move(store);
  return Connect(config, std::move(session));
#else
  return FailedPreconditionError("unreachable: built without NCCL");
#endif
}

}  // namespace jobctl::trainer
