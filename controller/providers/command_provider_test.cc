#include "controller/providers/command_provider.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

namespace jobctl::controller {
namespace {

class CommandProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/jobctl-cmdprov-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<CommandProvider> Make(const std::string& create, const std::string& del,
                                        int64_t timeout_ms = 10000) {
    PoolConfig pool;
    pool.name = "cloud";
    pool.provider.type = "command";
    pool.provider.create = create;
    pool.provider.del = del;
    pool.provider.timeout_ms = timeout_ms;
    return std::make_unique<CommandProvider>(pool, ProviderContext{"tcp://127.0.0.1:1", dir_},
                                             SystemClock::Get());
  }
  // Polls until an event arrives (at most 10 s).
  std::vector<ProviderEvent> WaitEvents(NodeProvider& p) {
    for (int i = 0; i < 1000; ++i) {
      auto events = p.Poll();
      if (!events.empty()) return events;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return {};
  }
  std::string dir_;
};

TEST_F(CommandProviderTest, CreatePrintsNodeIdsWithPoolAndCountInItsEnvironment) {
  auto p = Make(
      "for i in $(seq 1 $JOBCTL_COUNT); do echo \"$JOBCTL_POOL-$i\"; done; echo '' ; "
      "echo 'not an id!'",
      "true");
  uint64_t request = p->Create(2);
  auto events = WaitEvents(*p);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, ProviderEvent::Kind::kCreated);
  EXPECT_EQ(events[0].request, request);
  EXPECT_EQ(events[0].nodes, (std::vector<std::string>{"cloud-1", "cloud-2"}));
}

TEST_F(CommandProviderTest, FailedCreateCarriesItsStderr) {
  auto p = Make("echo boom >&2; exit 3", "true");
  p->Create(1);
  auto events = WaitEvents(*p);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, ProviderEvent::Kind::kCreateFailed);
  EXPECT_NE(events[0].error.find("exited with code 3"), std::string::npos) << events[0].error;
  EXPECT_NE(events[0].error.find("boom"), std::string::npos) << events[0].error;
}

TEST_F(CommandProviderTest, CreateThatPrintsNothingFails) {
  auto p = Make("true", "true");
  p->Create(1);
  auto events = WaitEvents(*p);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, ProviderEvent::Kind::kCreateFailed);
}

TEST_F(CommandProviderTest, ScriptPastItsTimeoutIsKilled) {
  auto p = Make("sleep 30", "true", /*timeout_ms=*/200);
  p->Create(1);
  auto events = WaitEvents(*p);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, ProviderEvent::Kind::kCreateFailed);
  EXPECT_NE(events[0].error.find("timed out"), std::string::npos) << events[0].error;
}

TEST_F(CommandProviderTest, DeleteGetsTheNodeAsFirstArgument) {
  std::string out = dir_ + "/deleted";
  auto p = Make("true", "echo \"$JOBCTL_POOL\" >> " + out + "; echo >> " + out);
  p->Delete("cloud-7");
  auto events = WaitEvents(*p);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, ProviderEvent::Kind::kDeleted);
  EXPECT_EQ(events[0].nodes, std::vector<std::string>{"cloud-7"});
  std::ifstream in(out);
  std::string line1, line2;
  std::getline(in, line1);
  std::getline(in, line2);
  EXPECT_EQ(line1, "cloud");
  EXPECT_EQ(line2, "cloud-7");
}

}  // namespace
}  // namespace jobctl::controller
