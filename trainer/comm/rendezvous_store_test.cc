#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "trainer/comm/rendezvous_store_client.h"
#include "trainer/comm/rendezvous_store_server.h"

namespace jobctl::trainer::comm {
namespace {

using std::chrono::milliseconds;

class RendezvousStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = RendezvousStoreServer::Start(0);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
    ASSERT_GT(server_->port(), 0);
  }

  std::unique_ptr<RendezvousStoreClient> NewClient() {
    auto client = RendezvousStoreClient::Connect("127.0.0.1", server_->port(), milliseconds(5000));
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    return client.ok() ? std::move(client).value() : nullptr;
  }

  std::unique_ptr<RendezvousStoreServer> server_;
};

TEST_F(RendezvousStoreTest, SetThenGetReturnsTheValue) {
  auto client = NewClient();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Set("a", "hello", milliseconds(2000)).ok());
  std::string binary("x\0y\xff", 4);
  ASSERT_TRUE(client->Set("b", binary, milliseconds(2000)).ok());
  auto a = client->Get("a", milliseconds(2000));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(*a, "hello");
  auto b = client->Get("b", milliseconds(2000));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b, binary);
}

TEST_F(RendezvousStoreTest, SetOverwritesAndEmptyValueIsAValue) {
  auto client = NewClient();
  ASSERT_TRUE(client->Set("k", "one", milliseconds(2000)).ok());
  ASSERT_TRUE(client->Set("k", "two", milliseconds(2000)).ok());
  EXPECT_EQ(client->Get("k", milliseconds(2000)).value(), "two");
  ASSERT_TRUE(client->Set("empty", "", milliseconds(2000)).ok());
  auto empty = client->Get("empty", milliseconds(2000));
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, "");
}

TEST_F(RendezvousStoreTest, GetWaitsForAKeySetLaterByAnotherClient) {
  auto reader = NewClient();
  auto writer = NewClient();
  std::thread setter([&] {
    // Set only once the reader is parked on the key: the server answers then.
    EXPECT_TRUE(writer->Set("late", "value", milliseconds(2000)).ok());
  });
  auto value = reader->Get("late", milliseconds(5000));
  setter.join();
  ASSERT_TRUE(value.ok()) << value.status().ToString();
  EXPECT_EQ(*value, "value");
}

TEST_F(RendezvousStoreTest, GetOfAMissingKeyTimesOutNamingTheKey) {
  auto client = NewClient();
  auto value = client->Get("never", milliseconds(200));
  ASSERT_FALSE(value.ok());
  EXPECT_EQ(value.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(value.status().message().find("'never'"), std::string::npos)
      << value.status().message();
  // The client recovers: the next call reconnects.
  ASSERT_TRUE(client->Set("after", "ok", milliseconds(2000)).ok());
  EXPECT_EQ(client->Get("after", milliseconds(2000)).value(), "ok");
}

TEST_F(RendezvousStoreTest, WaitReturnsWhenAllKeysExistAndTimesOutOtherwise) {
  auto client = NewClient();
  ASSERT_TRUE(client->Set("x", "1", milliseconds(2000)).ok());
  ASSERT_TRUE(client->Set("y", "2", milliseconds(2000)).ok());
  EXPECT_TRUE(client->Wait({"x", "y"}, milliseconds(2000)).ok());
  Status missing = client->Wait({"x", "z"}, milliseconds(200));
  EXPECT_EQ(missing.code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(missing.message().find("'z'"), std::string::npos) << missing.message();
}

TEST_F(RendezvousStoreTest, ManyClientsSeeEachOthersKeys) {
  constexpr int kClients = 6;
  std::vector<std::thread> threads;
  std::vector<int> ok(kClients, 0);
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      auto client = RendezvousStoreClient::Connect("127.0.0.1", server_->port(), milliseconds(5000));
      if (!client.ok()) return;
      if (!(*client)->Set("rank" + std::to_string(i), std::to_string(i * i), milliseconds(5000)).ok()) {
        return;
      }
      int good = 0;
      for (int j = 0; j < kClients; ++j) {
        auto v = (*client)->Get("rank" + std::to_string(j), milliseconds(5000));
        if (v.ok() && *v == std::to_string(j * j)) ++good;
      }
      ok[i] = good;
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kClients; ++i) EXPECT_EQ(ok[i], kClients) << "client " << i;
}

TEST(RendezvousStoreClientTest, ConnectRetriesUntilTheServerStarts) {
  // Reserve a port, free it, and start the server there a little later.
  int port = 0;
  {
    auto probe = RendezvousStoreServer::Start(0);
    ASSERT_TRUE(probe.ok());
    port = (*probe)->port();
  }
  std::unique_ptr<RendezvousStoreServer> late_server;
  std::thread starter([&] {
    std::this_thread::sleep_for(milliseconds(150));  // the delay under test, not a sync
    auto server = RendezvousStoreServer::Start(port);
    if (server.ok()) late_server = std::move(server).value();
  });
  auto client = RendezvousStoreClient::Connect("127.0.0.1", port, milliseconds(5000));
  starter.join();
  ASSERT_NE(late_server, nullptr) << "port " << port << " was taken meanwhile";
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  EXPECT_TRUE((*client)->Set("k", "v", milliseconds(2000)).ok());
}

TEST(RendezvousStoreClientTest, ConnectToNothingTimesOutNamingTheAddress) {
  int port = 0;
  {
    auto probe = RendezvousStoreServer::Start(0);
    ASSERT_TRUE(probe.ok());
    port = (*probe)->port();
  }
  auto client = RendezvousStoreClient::Connect("127.0.0.1", port, milliseconds(200));
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(client.status().message().find("127.0.0.1:" + std::to_string(port)),
            std::string::npos)
      << client.status().message();
}

TEST(RendezvousStoreServerTest, BindingATakenPortIsUnavailableNamingThePort) {
  auto first = RendezvousStoreServer::Start(0);
  ASSERT_TRUE(first.ok());
  // SO_REUSEADDR does not allow two listeners on one port.
  auto second = RendezvousStoreServer::Start((*first)->port());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(second.status().message().find(std::to_string((*first)->port())), std::string::npos);
}

}  // namespace
}  // namespace jobctl::trainer::comm
