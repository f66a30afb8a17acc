#include "agent/agent_flags.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "common/auth/curve_keys.h"

namespace jobctl::agent {
namespace {

auth::Token MakeToken(auth::TokenKind kind) {
  auto server = auth::GenerateCurveKeyPair();
  auto client = auth::GenerateCurveKeyPair();
  EXPECT_TRUE(server.ok() && client.ok());
  return auth::Token{kind, server->public_key, client->secret_key};
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/jobagent-flags-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::system(("rm -rf " + path_).c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

Result<AgentFlags> Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "jobagent");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return ParseAgentFlags(static_cast<int>(argv.size()), argv.data());
}

TEST(AgentFlagsTest, TokenFileFlagIsParsed) {
  auto flags = Parse({"--token-file", "/etc/jobagent/token", "--controller", "tcp://h:1"});
  ASSERT_TRUE(flags.ok()) << flags.status().ToString();
  EXPECT_EQ(flags->token_file, "/etc/jobagent/token");
  auto none = Parse({});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->token_file.empty());
  auto help = Parse({"--help"});
  ASSERT_EQ(help.status().code(), StatusCode::kCancelled);
  EXPECT_NE(help.status().message().find("--token-file"), std::string::npos);
}

TEST(AgentFlagsTest, NoTokenIsAClearError) {
  auto token = ResolveJoinToken("", std::nullopt);
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.status().message(), kNoJoinTokenMessage);
  EXPECT_FALSE(ResolveJoinToken("", std::string("")).ok());
}

TEST(AgentFlagsTest, FileWinsOverTheEnvironment) {
  TempDir dir;
  auth::Token in_file = MakeToken(auth::TokenKind::kAgent);
  auth::Token in_env = MakeToken(auth::TokenKind::kAgent);
  std::string path = dir.path() + "/agent.token";
  ASSERT_TRUE(auth::WriteTokenFile(path, in_file).ok());
  auto token = ResolveJoinToken(path, in_env.Encode());
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  EXPECT_EQ(token->client_secret, in_file.client_secret);
  auto from_env = ResolveJoinToken("", in_env.Encode());
  ASSERT_TRUE(from_env.ok()) << from_env.status().ToString();
  EXPECT_EQ(from_env->client_secret, in_env.client_secret);
}

TEST(AgentFlagsTest, UserTokensAndBadTokensAreRefused) {
  TempDir dir;
  auto user = ResolveJoinToken("", MakeToken(auth::TokenKind::kUser).Encode());
  ASSERT_FALSE(user.ok());
  EXPECT_NE(user.status().message().find("a user token cannot join as an agent"), std::string::npos)
      << user.status().message();
  auto garbage = ResolveJoinToken("", std::string("not-a-token"));
  ASSERT_FALSE(garbage.ok());
  EXPECT_NE(garbage.status().message().find("$JOBCTL_TOKEN"), std::string::npos);
  auto missing = ResolveJoinToken(dir.path() + "/none", std::nullopt);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find(dir.path() + "/none"), std::string::npos)
      << missing.status().message();
}

TEST(AgentFlagsTest, KeepAttemptDirsIsOffUnlessGiven) {
  auto none = Parse({});
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->keep_attempt_dirs);
  auto keep = Parse({"--keep-attempt-dirs"});
  ASSERT_TRUE(keep.ok()) << keep.status().ToString();
  EXPECT_TRUE(keep->keep_attempt_dirs);
  EXPECT_FALSE(Parse({"--keep-attempt-dirs=maybe"}).ok());
  auto help = Parse({"--help"});
  ASSERT_EQ(help.status().code(), StatusCode::kCancelled);
  EXPECT_NE(help.status().message().find("--keep-attempt-dirs"), std::string::npos);
}

}  // namespace
}  // namespace jobctl::agent
