#include "trainer/comm/gloo_communicator.h"

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "trainer/comm/rendezvous_store_client.h"
#include "trainer/comm/rendezvous_store_server.h"

namespace jobctl::trainer {
namespace {

using std::chrono::milliseconds;

// Rank r's contribution: small integers, so every sum is exact in float.
float Contribution(int rank, size_t i) {
  return static_cast<float>(static_cast<int>(i % 97) * (rank + 1) - rank);
}

float ExpectedAverage(int world_size, size_t i) {
  float sum = 0;
  for (int r = 0; r < world_size; ++r) sum += Contribution(r, i);
  return sum / static_cast<float>(world_size);
}

// Runs `body(rank, communicator)` on world_size threads, each with its own
// store client to one in-process server on an ephemeral port.
void RunRanksOnThreads(int world_size, milliseconds timeout,
                       const std::function<void(int, Communicator&)>& body) {
  auto server = comm::RendezvousStoreServer::Start(0);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  const int port = (*server)->port();
  std::vector<std::thread> threads;
  for (int rank = 0; rank < world_size; ++rank) {
    threads.emplace_back([&, rank] {
      auto client = comm::RendezvousStoreClient::Connect("127.0.0.1", port, timeout);
      ASSERT_TRUE(client.ok()) << client.status().ToString();
      RendezvousConfig config;
      config.rank = rank;
      config.world_size = world_size;
      config.timeout = timeout;
      auto communicator = CreateGlooCommunicatorWithStore(
          config, std::shared_ptr<comm::RendezvousStore>(std::move(client).value()));
      ASSERT_TRUE(communicator.ok()) << "rank " << rank << ": "
                                     << communicator.status().ToString();
      EXPECT_EQ((*communicator)->rank(), rank);
      EXPECT_EQ((*communicator)->world_size(), world_size);
      EXPECT_EQ((*communicator)->memory_kind(), MemoryKind::kHost);
      body(rank, **communicator);
    });
  }
  for (auto& t : threads) t.join();
}

class GlooThreadsTest : public ::testing::TestWithParam<int> {};

TEST_P(GlooThreadsTest, AllReduceAverageIsExactAndRepeatable) {
  const int world_size = GetParam();
  // More than one 1 MiB Gloo segment, and not a multiple of the world size.
  constexpr size_t kCount = 300'007;
  RunRanksOnThreads(world_size, milliseconds(10'000), [&](int rank, Communicator& comm) {
    std::vector<float> a(kCount), b(17);
    for (int round = 0; round < 3; ++round) {  // the cached options are reused
      for (size_t i = 0; i < kCount; ++i) a[i] = Contribution(rank, i + round);
      ASSERT_TRUE(comm.AllReduceAverage(a.data(), a.size()).ok());
      size_t wrong = 0;
      for (size_t i = 0; i < kCount; ++i) wrong += a[i] != ExpectedAverage(world_size, i + round);
      EXPECT_EQ(wrong, 0u) << "rank " << rank << " round " << round;
      // A second, small buffer interleaved with the big one.
      for (size_t i = 0; i < b.size(); ++i) b[i] = Contribution(rank, i);
      ASSERT_TRUE(comm.AllReduceAverage(b.data(), b.size()).ok());
      for (size_t i = 0; i < b.size(); ++i) EXPECT_EQ(b[i], ExpectedAverage(world_size, i));
    }
    EXPECT_TRUE(comm.AllReduceAverage(a.data(), 0).ok());
  });
}

TEST_P(GlooThreadsTest, BroadcastCopiesTheRootsDataAndBarrierReturns) {
  const int world_size = GetParam();
  RunRanksOnThreads(world_size, milliseconds(10'000), [&](int rank, Communicator& comm) {
    for (int root = 0; root < world_size; ++root) {
      std::vector<float> data(1000);
      for (size_t i = 0; i < data.size(); ++i) data[i] = Contribution(rank, i) + 0.25f;
      ASSERT_TRUE(comm.Broadcast(data.data(), data.size(), root).ok());
      for (size_t i = 0; i < data.size(); ++i) {
        ASSERT_EQ(data[i], Contribution(root, i) + 0.25f) << "rank " << rank << " root " << root;
      }
    }
    EXPECT_TRUE(comm.Barrier().ok());
    float x = 0;
    EXPECT_EQ(comm.Broadcast(&x, 1, world_size).code(), StatusCode::kInvalidArgument);
  });
}

INSTANTIATE_TEST_SUITE_P(WorldSizes, GlooThreadsTest, ::testing::Values(2, 3));

TEST(GlooCommunicatorTest, WorldSizeOneIsLocalAndOpensNoSocket) {
  RendezvousConfig config;  // port 0: nothing could be served or reached
  auto communicator = CreateGlooCommunicator(config);
  ASSERT_TRUE(communicator.ok()) << communicator.status().ToString();
  std::vector<float> data = {1.5f, -2.0f};
  ASSERT_TRUE((*communicator)->AllReduceAverage(data.data(), data.size()).ok());
  EXPECT_EQ(data, (std::vector<float>{1.5f, -2.0f}));
  EXPECT_TRUE((*communicator)->Barrier().ok());
}

TEST(GlooCommunicatorTest, InvalidConfigIsRejected) {
  RendezvousConfig config;
  config.world_size = 2;
  config.rank = 2;
  config.master_port = 1234;
  EXPECT_EQ(CreateGlooCommunicator(config).status().code(), StatusCode::kInvalidArgument);
  config.rank = 0;
  config.master_port = 0;
  auto bad_port = CreateGlooCommunicator(config);
  EXPECT_EQ(bad_port.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad_port.status().message().find("MASTER_PORT"), std::string::npos);
}

TEST(GlooDeadPeerTest, ARankThatNeverJoinsIsNamedWithinTheTimeout) {
  auto server = comm::RendezvousStoreServer::Start(0);
  ASSERT_TRUE(server.ok());
  auto client = comm::RendezvousStoreClient::Connect("127.0.0.1", (*server)->port(),
                                                     milliseconds(2000));
  ASSERT_TRUE(client.ok());
  RendezvousConfig config;
  config.rank = 0;
  config.world_size = 2;
  config.timeout = milliseconds(1000);
  auto communicator = CreateGlooCommunicatorWithStore(
      config, std::shared_ptr<comm::RendezvousStore>(std::move(client).value()));
  ASSERT_FALSE(communicator.ok());
  EXPECT_EQ(communicator.status().code(), StatusCode::kDeadlineExceeded)
      << communicator.status().ToString();
  EXPECT_NE(communicator.status().message().find("rank 1"), std::string::npos)
      << communicator.status().message();
}

TEST(GlooDeadPeerTest, AStalledPeerGivesDeadlineExceeded) {
  std::promise<void> rank0_done;
  std::shared_future<void> done = rank0_done.get_future().share();
  RunRanksOnThreads(2, milliseconds(1000), [&](int rank, Communicator& comm) {
    if (rank == 1) {
      // Alive and connected, but never takes part, until rank 0 has seen the error.
      done.wait_for(std::chrono::seconds(30));
      return;
    }
    struct SignalOnExit {
      std::promise<void>& p;
      ~SignalOnExit() { p.set_value(); }
    } signal{rank0_done};
    std::vector<float> data(1000, 1.0f);
    Status status = comm.AllReduceAverage(data.data(), data.size());
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.code(), StatusCode::kDeadlineExceeded) << status.ToString();
    EXPECT_NE(status.message().find("rank 1"), std::string::npos) << status.message();
    // The communicator is now broken, and says so at once.
    EXPECT_EQ(comm.Barrier().code(), StatusCode::kFailedPrecondition);
  });
}

TEST(GlooDeadPeerTest, APeerThatLeavesMidwayGivesAnErrorNotAHang) {
  auto server = comm::RendezvousStoreServer::Start(0);
  ASSERT_TRUE(server.ok());
  const int port = (*server)->port();
  std::unique_ptr<Communicator> comms[2];
  std::thread threads[2];
  for (int rank = 0; rank < 2; ++rank) {
    threads[rank] = std::thread([&, rank] {
      auto client = comm::RendezvousStoreClient::Connect("127.0.0.1", port, milliseconds(5000));
      ASSERT_TRUE(client.ok());
      RendezvousConfig config;
      config.rank = rank;
      config.world_size = 2;
      config.timeout = milliseconds(2000);
      auto c = CreateGlooCommunicatorWithStore(
          config, std::shared_ptr<comm::RendezvousStore>(std::move(client).value()));
      ASSERT_TRUE(c.ok()) << c.status().ToString();
      comms[rank] = std::move(c).value();
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(comms[0] && comms[1]);
  std::vector<float> data(100'000, 1.0f);
  comms[1].reset();  // rank 1 goes away: its sockets close
  Status status = comms[0]->AllReduceAverage(data.data(), data.size());
  ASSERT_FALSE(status.ok());
  EXPECT_TRUE(status.code() == StatusCode::kUnavailable ||
              status.code() == StatusCode::kDeadlineExceeded)
      << status.ToString();
}

// --- Ranks as separate processes, rendezvous through MASTER_ADDR/PORT. ---

int ReserveFreePort() {
  auto probe = comm::RendezvousStoreServer::Start(0);
  return probe.ok() ? (*probe)->port() : 0;
}

// Forks one child per rank running `body(config)`, whose return value is its
// exit code; returns the exit codes (-1 for a child killed at the deadline).
std::vector<int> RunRanksAsProcesses(int world_size, milliseconds timeout,
                                     const std::function<int(const RendezvousConfig&)>& body) {
  const int port = ReserveFreePort();
  std::vector<pid_t> pids;
  for (int rank = 0; rank < world_size; ++rank) {
    pid_t pid = ::fork();
    if (pid == 0) {
      RendezvousConfig config;
      config.rank = rank;
      config.world_size = world_size;
      config.master_addr = "127.0.0.1";
      config.master_port = port;
      config.timeout = timeout;
      ::_exit(body(config));
    }
    pids.push_back(pid);
  }
  std::vector<int> codes(world_size, -1);
  const auto deadline = std::chrono::steady_clock::now() + timeout * 10;
  for (int rank = 0; rank < world_size; ++rank) {
    int status = 0;
    pid_t done = 0;
    while ((done = ::waitpid(pids[rank], &status, WNOHANG)) == 0 &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(10));  // polling a child, bounded by the deadline
    }
    if (done == 0) {
      ::kill(pids[rank], SIGKILL);
      ::waitpid(pids[rank], &status, 0);
      continue;
    }
    if (WIFEXITED(status)) codes[rank] = WEXITSTATUS(status);
  }
  return codes;
}

TEST(GlooProcessesTest, TwoProcessesAllReduceAndBroadcastExactly) {
  auto codes = RunRanksAsProcesses(2, milliseconds(10'000), [](const RendezvousConfig& config) {
    auto communicator = CreateGlooCommunicator(config);
    if (!communicator.ok()) return 10;
    constexpr size_t kCount = 670'000;
    std::vector<float> data(kCount);
    for (int round = 0; round < 5; ++round) {
      for (size_t i = 0; i < kCount; ++i) data[i] = Contribution(config.rank, i + round);
      if (!(*communicator)->AllReduceAverage(data.data(), kCount).ok()) return 11;
      for (size_t i = 0; i < kCount; ++i) {
        if (data[i] != ExpectedAverage(2, i + round)) return 12;
      }
    }
    for (size_t i = 0; i < kCount; ++i) data[i] = Contribution(config.rank, i);
    if (!(*communicator)->Broadcast(data.data(), kCount, 1).ok()) return 13;
    for (size_t i = 0; i < kCount; ++i) {
      if (data[i] != Contribution(1, i)) return 14;
    }
    if (!(*communicator)->Barrier().ok()) return 15;
    return 0;
  });
  EXPECT_EQ(codes, (std::vector<int>{0, 0}));
}

TEST(GlooProcessesTest, AProcessThatExitsMidwayFailsItsPeerNotHangsIt) {
  auto codes = RunRanksAsProcesses(2, milliseconds(2000), [](const RendezvousConfig& config) {
    auto communicator = CreateGlooCommunicator(config);
    if (!communicator.ok()) return 10;
    std::vector<float> data(1000, 1.0f);
    if (!(*communicator)->AllReduceAverage(data.data(), data.size()).ok()) return 11;
    if (config.rank == 1) ::_exit(0);  // dies without a word
    Status status = (*communicator)->AllReduceAverage(data.data(), data.size());
    if (status.code() == StatusCode::kUnavailable ||
        status.code() == StatusCode::kDeadlineExceeded) {
      return 0;
    }
    return 12;
  });
  EXPECT_EQ(codes, (std::vector<int>{0, 0}));
}

}  // namespace
}  // namespace jobctl::trainer
