#include "controller/config.h"

#include <gtest/gtest.h>

namespace jobctl::controller {
namespace {

TEST(ConfigTest, ParsesPools) {
  auto c = ParseConfig(R"(pools:
  - name: cpu
    min_nodes: 1
    max_nodes: 3
    idle_timeout: 2
    provider:
      type: local
      agent_args: ["--cpus", "4"]
  - name: cloud
    max_nodes: 10
    provision_timeout: 600
    provider:
      type: command
      create: ./create.sh
      delete: ./delete.sh
      timeout: 30
)",
                       "c.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->pools.size(), 2u);
  EXPECT_EQ(c->pools[0].name, "cpu");
  EXPECT_EQ(c->pools[0].min_nodes, 1);
  EXPECT_EQ(c->pools[0].max_nodes, 3);
  EXPECT_EQ(c->pools[0].idle_timeout_ms, 2000);
  EXPECT_EQ(c->pools[0].provision_timeout_ms, 300000);
  EXPECT_EQ(c->pools[0].provider.agent_args, (std::vector<std::string>{"--cpus", "4"}));
  EXPECT_EQ(c->pools[1].provider.type, "command");
  EXPECT_EQ(c->pools[1].provider.create, "./create.sh");
  EXPECT_EQ(c->pools[1].provider.del, "./delete.sh");
  EXPECT_EQ(c->pools[1].provider.timeout_ms, 30000);
  EXPECT_EQ(c->pools[1].provision_timeout_ms, 600000);
  EXPECT_EQ(c->pools[1].idle_timeout_ms, 120000);
}

TEST(ConfigTest, EmptyFileHasNoPools) {
  auto c = ParseConfig("", "c.yaml");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->pools.empty());
}

struct BadConfig {
  const char* name;
  const char* yaml;
  const char* message;
};

class ConfigErrorTest : public ::testing::TestWithParam<BadConfig> {};

TEST_P(ConfigErrorTest, NamesFileLineColumnAndField) {
  auto c = ParseConfig(GetParam().yaml, "c.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find(GetParam().message), std::string::npos)
      << c.status().message();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ConfigErrorTest,
    ::testing::Values(
        BadConfig{"UnknownTopKey", "pool:\n  - name: a\n", "c.yaml:1:1: pool:"},
        BadConfig{"MaxNotNumber",
                  "pools:\n  - name: a\n    max_nodes: many\n    provider: {type: local}\n",
                  "c.yaml:3:16: pools[0].max_nodes: expected a positive integer, got \"many\""},
        BadConfig{"MinAboveMax",
                  "pools:\n  - name: a\n    min_nodes: 4\n    max_nodes: 2\n"
                  "    provider: {type: local}\n",
                  "pools[0].max_nodes: must be >= min_nodes (4)"},
        BadConfig{"Duplicate",
                  "pools:\n  - {name: a, max_nodes: 1, provider: {type: local}}\n"
                  "  - {name: a, max_nodes: 1, provider: {type: local}}\n",
                  "pools[1].name: duplicate pool 'a'"},
        BadConfig{"MissingProvider", "pools:\n  - name: a\n    max_nodes: 2\n",
                  "pools[0].provider: required key is missing"},
        BadConfig{"BadType", "pools:\n  - name: a\n    max_nodes: 2\n    provider: {type: cloud}\n",
                  "pools[0].provider.type"},
        BadConfig{"CommandWithoutDelete",
                  "pools:\n  - name: a\n    max_nodes: 2\n    provider: {type: command, "
                  "create: x}\n",
                  "pools[0].provider.delete: required for type command"},
        BadConfig{"Netns",
                  "pools:\n  - name: a\n    max_nodes: 2\n    provider: {type: local, "
                  "netns: true}\n",
                  "pools[0].provider.netns: network namespaces per node are not implemented"},
        BadConfig{"Syntax", "pools: [\n", "c.yaml:"}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace jobctl::controller
