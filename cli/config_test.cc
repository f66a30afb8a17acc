#include "cli/config.h"

#include <map>

#include <gtest/gtest.h>

#include "cli/test_util.h"

namespace jobctl::cli {
namespace {

TEST(ConfigTest, UserConfigPathPrefersXdgThenHome) {
  EXPECT_EQ(UserConfigPath(MapEnv({{"XDG_CONFIG_HOME", "/x"}, {"HOME", "/h"}})),
            "/x/jobctl/config.yaml");
  EXPECT_EQ(UserConfigPath(MapEnv({{"HOME", "/h"}})), "/h/.config/jobctl/config.yaml");
  EXPECT_EQ(UserConfigPath(MapEnv({})), "");
  EXPECT_EQ(DefaultDataDir(MapEnv({{"HOME", "/h"}})), "/h/.local/share/jobctl");
  EXPECT_EQ(DefaultDataDir(MapEnv({{"XDG_DATA_HOME", "/d"}})), "/d/jobctl");
}

TEST(ConfigTest, DefaultWhenNothingIsSet) {
  TempDir dir;
  auto address = ResolveControllerAddress("", MapEnv({{"XDG_CONFIG_HOME", dir.path()}}));
  ASSERT_TRUE(address.ok()) << address.status().ToString();
  EXPECT_EQ(address->endpoint, "tcp://127.0.0.1:7070");
  EXPECT_EQ(address->source, AddressSource::kDefault);
}

TEST(ConfigTest, FlagBeatsEnvBeatsFile) {
  TempDir dir;
  dir.Write("jobctl/config.yaml", "controller: tcp://file-host:1111\nother: kept\n");
  auto env_and_file = MapEnv({{"XDG_CONFIG_HOME", dir.path()}, {"JOBCTL_CONTROLLER", "tcp://env-host:2222"}});
  auto file_only = MapEnv({{"XDG_CONFIG_HOME", dir.path()}});

  auto from_flag = ResolveControllerAddress("tcp://flag-host:3333", env_and_file);
  ASSERT_TRUE(from_flag.ok());
  EXPECT_EQ(from_flag->endpoint, "tcp://flag-host:3333");
  EXPECT_EQ(from_flag->source, AddressSource::kFlag);

  auto from_env = ResolveControllerAddress("", env_and_file);
  ASSERT_TRUE(from_env.ok());
  EXPECT_EQ(from_env->endpoint, "tcp://env-host:2222");
  EXPECT_EQ(from_env->source, AddressSource::kEnv);

  auto from_file = ResolveControllerAddress("", file_only);
  ASSERT_TRUE(from_file.ok());
  EXPECT_EQ(from_file->endpoint, "tcp://file-host:1111");
  EXPECT_EQ(from_file->source, AddressSource::kConfigFile);
}

TEST(ConfigTest, BadAddressesNameTheirSource) {
  TempDir dir;
  auto bad_flag = ResolveControllerAddress("localhost:7070", MapEnv({}));
  ASSERT_FALSE(bad_flag.ok());
  EXPECT_NE(bad_flag.status().message().find("--controller"), std::string::npos);

  auto bad_env = ResolveControllerAddress("", MapEnv({{"JOBCTL_CONTROLLER", "tcp://h:notaport"}}));
  ASSERT_FALSE(bad_env.ok());
  EXPECT_NE(bad_env.status().message().find("JOBCTL_CONTROLLER"), std::string::npos);

  std::string path = dir.Write("jobctl/config.yaml", "controller: [1, 2\n");
  auto bad_file = ResolveControllerAddress("", MapEnv({{"XDG_CONFIG_HOME", dir.path()}}));
  ASSERT_FALSE(bad_file.ok());
  EXPECT_NE(bad_file.status().message().find(path), std::string::npos);
}

TEST(ConfigTest, WriteKeepsOtherKeysAndCreatesFolders) {
  TempDir dir;
  std::string path = dir.path() + "/new/jobctl/config.yaml";
  ASSERT_TRUE(WriteControllerToConfig(path, "tcp://127.0.0.1:5555").ok());
  auto read = ReadControllerFromConfig(path);
  ASSERT_TRUE(read.ok());
  ASSERT_TRUE(read->has_value());
  EXPECT_EQ(**read, "tcp://127.0.0.1:5555");

  std::string existing = dir.Write("c.yaml", "user: alice\ncontroller: tcp://old:1\n");
  ASSERT_TRUE(WriteControllerToConfig(existing, "tcp://new:2").ok());
  auto again = ReadControllerFromConfig(existing);
  ASSERT_TRUE(again.ok() && again->has_value());
  EXPECT_EQ(**again, "tcp://new:2");
  std::ifstream in(existing);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(content.find("alice"), std::string::npos);
}

TEST(ConfigTest, ValidateEndpoint) {
  EXPECT_TRUE(ValidateEndpoint("tcp://127.0.0.1:7070", "x").ok());
  EXPECT_TRUE(ValidateEndpoint("tcp://[::1]:7070", "x").ok());
  EXPECT_TRUE(ValidateEndpoint("ipc:///tmp/sock", "x").ok());
  EXPECT_FALSE(ValidateEndpoint("tcp://host", "x").ok());
  EXPECT_FALSE(ValidateEndpoint("tcp://host:0", "x").ok());
  EXPECT_FALSE(ValidateEndpoint("tcp://host:70000", "x").ok());
  EXPECT_FALSE(ValidateEndpoint("http://host:80", "x").ok());
}

}  // namespace
}  // namespace jobctl::cli
