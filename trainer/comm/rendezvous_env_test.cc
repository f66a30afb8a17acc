#include <map>
#include <string>

#include <gtest/gtest.h>

#include "trainer/comm/rendezvous_env.h"

namespace jobctl::trainer {
namespace {

Result<RendezvousConfig> Parse(const std::map<std::string, std::string>& env) {
  return RendezvousFromVariables([&](std::string_view name) -> std::optional<std::string> {
    auto it = env.find(std::string(name));
    if (it == env.end()) return std::nullopt;
    return it->second;
  });
}

void ExpectInvalidNaming(const std::map<std::string, std::string>& env, const std::string& name) {
  auto config = Parse(env);
  ASSERT_FALSE(config.ok()) << "accepted an environment that names " << name;
  EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(config.status().message().find(name), std::string::npos) << config.status().message();
}

TEST(RendezvousEnvTest, NoVariablesMeansWorldSizeOne) {
  auto config = Parse({});
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->rank, 0);
  EXPECT_EQ(config->world_size, 1);
  EXPECT_EQ(config->local_rank, 0);
  EXPECT_EQ(config->timeout, std::chrono::milliseconds(60'000));
}

TEST(RendezvousEnvTest, ReadsEveryVariable) {
  auto config = Parse({{"RANK", "3"},
                       {"WORLD_SIZE", "4"},
                       {"LOCAL_RANK", "1"},
                       {"MASTER_ADDR", "10.0.0.7"},
                       {"MASTER_PORT", "29500"},
                       {"JOBCTL_COMM_TIMEOUT_MS", "2500"}});
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->rank, 3);
  EXPECT_EQ(config->world_size, 4);
  EXPECT_EQ(config->local_rank, 1);
  EXPECT_EQ(config->master_addr, "10.0.0.7");
  EXPECT_EQ(config->master_port, 29500);
  EXPECT_EQ(config->timeout, std::chrono::milliseconds(2500));
}

TEST(RendezvousEnvTest, MalformedValuesNameTheVariable) {
  const std::map<std::string, std::string> good = {
      {"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}, {"MASTER_PORT", "1234"}};
  auto with = [&](const std::string& k, const std::string& v) {
    auto env = good;
    env[k] = v;
    return env;
  };
  ExpectInvalidNaming(with("RANK", "zero"), "RANK");
  ExpectInvalidNaming(with("RANK", "1x"), "RANK");
  ExpectInvalidNaming(with("RANK", "-1"), "RANK");
  ExpectInvalidNaming(with("RANK", "2"), "RANK");  // not < WORLD_SIZE
  ExpectInvalidNaming(with("WORLD_SIZE", "0"), "WORLD_SIZE");
  ExpectInvalidNaming(with("WORLD_SIZE", ""), "WORLD_SIZE");
  ExpectInvalidNaming(with("LOCAL_RANK", "a"), "LOCAL_RANK");
  ExpectInvalidNaming(with("MASTER_PORT", "70000"), "MASTER_PORT");
  ExpectInvalidNaming(with("MASTER_PORT", "http"), "MASTER_PORT");
  ExpectInvalidNaming(with("MASTER_ADDR", ""), "MASTER_ADDR");
  ExpectInvalidNaming(with("JOBCTL_COMM_TIMEOUT_MS", "0"), "JOBCTL_COMM_TIMEOUT_MS");
  ExpectInvalidNaming(with("JOBCTL_COMM_TIMEOUT_MS", "soon"), "JOBCTL_COMM_TIMEOUT_MS");
}

TEST(RendezvousEnvTest, InconsistentOrMissingVariablesAreNamed) {
  ExpectInvalidNaming({{"RANK", "0"}}, "WORLD_SIZE");
  ExpectInvalidNaming({{"WORLD_SIZE", "2"}}, "RANK");
  ExpectInvalidNaming({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_PORT", "1"}}, "MASTER_ADDR");
  ExpectInvalidNaming({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}}, "MASTER_PORT");
}

TEST(RendezvousEnvTest, ReadsTheProcessEnvironment) {
  ::setenv("RANK", "1", 1);
  ::setenv("WORLD_SIZE", "2", 1);
  ::setenv("MASTER_ADDR", "127.0.0.1", 1);
  ::setenv("MASTER_PORT", "4242", 1);
  auto config = RendezvousFromEnvironment();
  ::unsetenv("RANK");
  ::unsetenv("WORLD_SIZE");
  ::unsetenv("MASTER_ADDR");
  ::unsetenv("MASTER_PORT");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->rank, 1);
  EXPECT_EQ(config->world_size, 2);
  EXPECT_EQ(config->master_port, 4242);
}

}  // namespace
}  // namespace jobctl::trainer
