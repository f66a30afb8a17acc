#include "trainer/comm/nccl_communicator.h"

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "trainer/comm/rendezvous_store_client.h"
#include "trainer/comm/rendezvous_store_server.h"
#include "trainer/cuda/cuda_check.h"
#include "trainer/cuda/device.h"

namespace jobctl::trainer {
namespace {

using std::chrono::milliseconds;

TEST(NcclCommunicatorTest, WithoutNcclOrGpuItIsAFailedPreconditionSayingWhy) {
  if (cuda::BuiltWithCuda() && cuda::CudaDeviceCount() > 0) {
    GTEST_SKIP() << "this machine has a GPU; see the multi-GPU test";
  }
  RendezvousConfig config;
  config.world_size = 2;
  config.master_port = 1;  // never reached: the precondition fails first
  auto communicator = CreateNcclCommunicator(config);
  ASSERT_FALSE(communicator.ok());
  EXPECT_EQ(communicator.status().code(), StatusCode::kFailedPrecondition);
  const std::string& message = communicator.status().message();
  EXPECT_TRUE(message.find("no CUDA GPU") != std::string::npos ||
              message.find("built without NCCL") != std::string::npos)
      << message;
}

TEST(NcclCommunicatorTest, SingleRankOnAGpuIsLocal) {
  if (cuda::CudaDeviceCount() == 0) {
    GTEST_SKIP() << "no CUDA GPU here: " << cuda::NoCudaDeviceReason();
  }
  RendezvousConfig config;
  auto communicator = CreateNcclCommunicator(config);
  ASSERT_TRUE(communicator.ok()) << communicator.status().ToString();
  EXPECT_EQ((*communicator)->memory_kind(), MemoryKind::kDevice);
  EXPECT_TRUE((*communicator)->Barrier().ok());
}

#ifdef JOBCTL_HAVE_NCCL
// NCCL needs one GPU per rank of a communicator.
TEST(NcclCommunicatorTest, AllReduceAverageAndBroadcastAcrossTwoGpus) {
  if (cuda::CudaDeviceCount() < 2) {
    GTEST_SKIP() << "needs 2 CUDA GPUs, found " << cuda::CudaDeviceCount() << " "
                 << cuda::NoCudaDeviceReason();
  }
  auto server = comm::RendezvousStoreServer::Start(0);
  ASSERT_TRUE(server.ok());
  const int port = (*server)->port();
  constexpr size_t kCount = 670'000;
  std::vector<std::thread> threads;
  for (int rank = 0; rank < 2; ++rank) {
    threads.emplace_back([&, rank] {
      auto client = comm::RendezvousStoreClient::Connect("127.0.0.1", port, milliseconds(20'000));
      ASSERT_TRUE(client.ok());
      RendezvousConfig config;
      config.rank = rank;
      config.local_rank = rank;
      config.world_size = 2;
      config.timeout = milliseconds(60'000);
      auto comm = CreateNcclCommunicatorWithStore(
          config, std::shared_ptr<comm::RendezvousStore>(std::move(client).value()));
      ASSERT_TRUE(comm.ok()) << comm.status().ToString();
      std::vector<float> host(kCount);
      for (size_t i = 0; i < kCount; ++i) host[i] = static_cast<float>((i % 31) * (rank + 1));
      float* device = nullptr;
      ASSERT_TRUE(JOBCTL_CUDA_STATUS(cudaMalloc(&device, kCount * sizeof(float))).ok());
      ASSERT_TRUE(JOBCTL_CUDA_STATUS(cudaMemcpy(device, host.data(), kCount * sizeof(float),
                                                cudaMemcpyHostToDevice))
                      .ok());
      ASSERT_TRUE((*comm)->AllReduceAverage(device, kCount).ok());
      ASSERT_TRUE(JOBCTL_CUDA_STATUS(cudaMemcpy(host.data(), device, kCount * sizeof(float),
                                                cudaMemcpyDeviceToHost))
                      .ok());
      for (size_t i = 0; i < kCount; i += 997) {
        EXPECT_FLOAT_EQ(host[i], static_cast<float>(i % 31) * 1.5f);
      }
      EXPECT_TRUE((*comm)->Barrier().ok());
      JOBCTL_CUDA_CHECK(cudaFree(device));
    });
  }
  for (auto& t : threads) t.join();
}
#endif

}  // namespace
}  // namespace jobctl::trainer
