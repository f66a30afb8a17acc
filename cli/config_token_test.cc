// Where jobctl finds its token, and how the config file keeps it.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <iterator>
#include <map>

#include "cli/config.h"
#include "cli/test_util.h"
#include "common/auth/curve_keys.h"

namespace jobctl::cli {
namespace {

auth::Token MakeToken(auth::TokenKind kind = auth::TokenKind::kUser) {
  auto server = auth::GenerateCurveKeyPair();
  auto client = auth::GenerateCurveKeyPair();
  EXPECT_TRUE(server.ok() && client.ok());
  return auth::Token{kind, server->public_key, client->secret_key};
}

int Mode(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int>(st.st_mode & 0777);
}

TEST(ConfigTokenTest, NoTokenAnywhereIsNullopt) {
  TempDir dir;
  auto token = ResolveToken("", MapEnv({{"XDG_CONFIG_HOME", dir.path()}}));
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  EXPECT_FALSE(token->has_value());
  EXPECT_EQ(NoCredentialsMessage("tcp://h:1"),
            "no credentials for tcp://h:1: run `jobctl login` (or `jobctl up` for a local "
            "cluster), or pass --token-file FILE");
}

TEST(ConfigTokenTest, FlagBeatsTextBeatsFileVariableBeatsConfig) {
  TempDir dir;
  auth::Token flag = MakeToken(), text = MakeToken(), file_var = MakeToken(), config = MakeToken();
  ASSERT_TRUE(auth::WriteTokenFile(dir.path() + "/flag.token", flag).ok());
  ASSERT_TRUE(auth::WriteTokenFile(dir.path() + "/var.token", file_var).ok());
  std::string config_path = dir.path() + "/jobctl/config.yaml";
  ASSERT_TRUE(WriteLoginToConfig(config_path, "tcp://h:1", config.Encode()).ok());

  std::map<std::string, std::string> vars = {{"XDG_CONFIG_HOME", dir.path()},
                                             {"JOBCTL_TOKEN", text.Encode()},
                                             {"JOBCTL_TOKEN_FILE", dir.path() + "/var.token"}};
  auto r = ResolveToken(dir.path() + "/flag.token", MapEnv(vars));
  ASSERT_TRUE(r.ok() && r->has_value()) << r.status().ToString();
  EXPECT_EQ((*r)->token.client_secret, flag.client_secret);
  EXPECT_EQ((*r)->source, "--token-file " + dir.path() + "/flag.token");

  r = ResolveToken("", MapEnv(vars));
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->token.client_secret, text.client_secret);
  EXPECT_EQ((*r)->source, "$JOBCTL_TOKEN");

  vars["JOBCTL_TOKEN"] = "";  // set but empty counts as unset
  r = ResolveToken("", MapEnv(vars));
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->token.client_secret, file_var.client_secret);

  vars.erase("JOBCTL_TOKEN_FILE");
  r = ResolveToken("", MapEnv(vars));
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->token.client_secret, config.client_secret);
  EXPECT_EQ((*r)->source, config_path + ": token");
}

TEST(ConfigTokenTest, UnusableSourcesAreErrorsNamingThem) {
  TempDir dir;
  auto missing = ResolveToken(dir.path() + "/none", MapEnv({{"XDG_CONFIG_HOME", dir.path()}}));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(missing.status().message().find("--token-file"), std::string::npos);
  EXPECT_NE(missing.status().message().find(dir.path() + "/none"), std::string::npos);

  std::string open_file = dir.Write("open.token", MakeToken().Encode() + "\n");
  ::chmod(open_file.c_str(), 0644);
  auto readable = ResolveToken(open_file, MapEnv({}));
  ASSERT_FALSE(readable.ok());
  EXPECT_EQ(readable.status().code(), StatusCode::kInvalidArgument);

  auto garbage = ResolveToken("", MapEnv({{"JOBCTL_TOKEN", "hunter2"}}));
  ASSERT_FALSE(garbage.ok());
  EXPECT_NE(garbage.status().message().find("$JOBCTL_TOKEN"), std::string::npos);
  EXPECT_EQ(garbage.status().message().find("hunter2"), std::string::npos) << "no echo";

  dir.Write("jobctl/config.yaml", "controller: tcp://h:1\ntoken: [1, 2]\n");
  auto bad_config = ResolveToken("", MapEnv({{"XDG_CONFIG_HOME", dir.path()}}));
  ASSERT_FALSE(bad_config.ok());
  EXPECT_NE(bad_config.status().message().find("config.yaml:2"), std::string::npos)
      << bad_config.status().message();
}

TEST(ConfigTokenTest, LoginIsWrittenPrivatelyAndKeepsOtherKeys) {
  TempDir dir;
  std::string path = dir.Write("jobctl/config.yaml", "controller: tcp://old:1\nother: kept\n");
  ::chmod(path.c_str(), 0644);
  auth::Token token = MakeToken();
  ASSERT_TRUE(WriteLoginToConfig(path, "tcp://new:2", token.Encode()).ok());
  EXPECT_EQ(Mode(path), 0600);
  auto controller = ReadControllerFromConfig(path);
  ASSERT_TRUE(controller.ok() && controller->has_value());
  EXPECT_EQ(**controller, "tcp://new:2");
  auto text = ReadTokenFromConfig(path);
  ASSERT_TRUE(text.ok() && text->has_value());
  EXPECT_EQ(**text, token.Encode());
  std::ifstream in(path);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(all.find("other: kept"), std::string::npos) << all;

  // Rewriting only the address keeps the token, and the file stays private.
  ASSERT_TRUE(WriteControllerToConfig(path, "tcp://third:3").ok());
  EXPECT_EQ(Mode(path), 0600);
  text = ReadTokenFromConfig(path);
  ASSERT_TRUE(text.ok() && text->has_value());
  EXPECT_EQ(**text, token.Encode());
}

TEST(ConfigTokenTest, AConfigWithoutATokenIsNotMadePrivate) {
  TempDir dir;
  std::string path = dir.path() + "/jobctl/config.yaml";
  ASSERT_TRUE(WriteControllerToConfig(path, "tcp://h:1").ok());
  EXPECT_EQ(Mode(path) & 0600, 0600);
  auto text = ReadTokenFromConfig(path);
  ASSERT_TRUE(text.ok());
  EXPECT_FALSE(text->has_value());
}

}  // namespace
}  // namespace jobctl::cli
