// Fairness: one connection flooding the controller with garbage and valid
// frames does not starve another. The ROUTER socket fair-queues its
// incoming pipes, so every loop iteration takes frames from each connection
// in turn; the flood only delays the other client by its share.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "common/protocol/stats_messages.h"
#include "controller/server_test_util.h"

namespace jobctl::controller {
namespace {

using namespace std::chrono_literals;

constexpr int kFloodFrames = 200000;
constexpr int kValidEvery = 10;         // every 10th flood frame is a valid ping
constexpr auto kFloodTimeBound = 120s;  // the flood stops here even if unfinished
constexpr auto kTimeout = 30000ms;      // generous: the machine may be loaded

TEST(ServerFloodTest, AFloodingConnectionDoesNotStarveAnother) {
  testing::RunningServer running;
  ASSERT_TRUE(running.started());
  std::atomic<int> garbage_sent{0};
  std::atomic<int> valid_sent{0};
  std::atomic<bool> flood_started{false};
  // Outlives the flood thread: closing it would drop the frames still queued.
  zmq::socket_t dealer(running.context(), zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::linger, 0);
  dealer.set(zmq::sockopt::sndtimeo, 5000);  // a blocked send ends the flood
  dealer.connect(running.endpoint());
  std::thread flood([&] {
    const std::string ping = protocol::Encode(protocol::PingRequest{}, 1);
    const std::string truncated = ping.substr(0, ping.size() - 3);
    auto end = std::chrono::steady_clock::now() + kFloodTimeBound;
    for (int i = 0; i < kFloodFrames && std::chrono::steady_clock::now() < end; ++i) {
      bool valid = i % kValidEvery == 0;
      std::string_view frame =
          valid ? std::string_view(ping)
                : (i % 2 == 0 ? std::string_view("garbage") : std::string_view(truncated));
      if (!dealer.send(zmq::buffer(frame), zmq::send_flags::none)) break;
      ++(valid ? valid_sent : garbage_sent);
      flood_started = true;
      // The flooder never reads its replies: the controller drops them once
      // the connection's queue is full.
    }
  });
  // The second client starts once the flood is under way.
  for (int i = 0; i < 1000 && !flood_started; ++i) std::this_thread::sleep_for(1ms);
  auto client = running.NewClient();
  int answered = 0;
  for (int i = 0; i < 20; ++i) {
    if (i % 2 == 0) {
      auto r = client->Call<protocol::PingReply>(protocol::PingRequest{}, kTimeout);
      EXPECT_TRUE(r.ok()) << "ping " << i << ": " << r.status().ToString();
      answered += r.ok();
    } else {
      protocol::SubmitJobRequest submit;
      submit.spec.name = "fair";
      submit.spec.command = "true";
      auto r = client->Call<protocol::SubmitJobReply>(submit, kTimeout);
      EXPECT_TRUE(r.ok()) << "submit " << i << ": " << r.status().ToString();
      answered += r.ok();
    }
  }
  flood.join();
  EXPECT_EQ(answered, 20);
  EXPECT_GT(garbage_sent.load(), 0);
  // Every garbage frame is counted once the controller has read them all.
  protocol::ServerStatsReply stats;
  for (int i = 0; i < 600; ++i) {
    auto r = client->Call<protocol::ServerStatsReply>(protocol::ServerStatsRequest{}, kTimeout);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    stats = *r;
    if (stats.malformed_frames >= static_cast<uint64_t>(garbage_sent.load())) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(stats.malformed_frames, static_cast<uint64_t>(garbage_sent.load()));
  EXPECT_GE(stats.frames_received,
            static_cast<uint64_t>(garbage_sent.load() + valid_sent.load() + 20));
  EXPECT_EQ(stats.peers_seen, 2u);
  // Still serving.
  auto list = client->Call<protocol::ListJobsReply>(protocol::ListJobsRequest{}, kTimeout);
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_EQ(list->jobs.size(), 10u);
}

}  // namespace
}  // namespace jobctl::controller
