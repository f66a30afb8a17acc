#include "common/auth/token.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "common/auth/client_credentials.h"
#include "common/auth/curve_keys.h"

namespace jobctl::auth {
namespace {

Token MakeToken(TokenKind kind) {
  auto server = GenerateCurveKeyPair();
  auto client = GenerateCurveKeyPair();
  EXPECT_TRUE(server.ok() && client.ok());
  return Token{kind, server->public_key, client->secret_key};
}

TEST(CurveKeysTest, CurveIsAvailableAndPublicKeyFollowsFromSecret) {
  ASSERT_TRUE(CurveAvailable());
  auto pair = GenerateCurveKeyPair();
  ASSERT_TRUE(pair.ok()) << pair.status().ToString();
  EXPECT_EQ(pair->public_key.size(), kZ85KeyChars);
  auto pub = CurvePublicFromSecret(pair->secret_key);
  ASSERT_TRUE(pub.ok());
  EXPECT_EQ(*pub, pair->public_key);
  EXPECT_FALSE(CurvePublicFromSecret("short").ok());
}

TEST(TokenTest, RoundTripsEveryKind) {
  for (TokenKind kind : {TokenKind::kAgent, TokenKind::kUser}) {
    Token token = MakeToken(kind);
    std::string text = token.Encode();
    EXPECT_EQ(text.rfind("jct1_" + std::string(TokenKindName(kind)) + "_", 0), 0u) << text;
    auto back = ParseToken("  " + text + "\n");
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(back->kind, kind);
    EXPECT_EQ(back->server_public, token.server_public);
    EXPECT_EQ(back->client_secret, token.client_secret);
  }
}

TEST(TokenTest, RefusesDamagedTokensWithoutEchoingThem) {
  std::string text = MakeToken(TokenKind::kUser).Encode();
  auto cut = ParseToken(text.substr(0, text.size() - 3));
  ASSERT_FALSE(cut.ok());
  EXPECT_NE(cut.status().message().find("cut"), std::string::npos);
  EXPECT_EQ(cut.status().message().find(text.substr(20, 40)), std::string::npos);

  EXPECT_FALSE(ParseToken("hello").ok());
  EXPECT_FALSE(ParseToken("jct1_robot_" + text.substr(10)).ok());
  std::string bad = text;
  bad[bad.size() - 1] = 'z';
  EXPECT_FALSE(ParseToken(bad).ok());
}

TEST(TokenTest, IdIsStableAndDiffersBetweenKeys) {
  auto a = GenerateCurveKeyPair();
  auto b = GenerateCurveKeyPair();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(TokenId(a->public_key).size(), 12u);
  EXPECT_EQ(TokenId(a->public_key), TokenId(a->public_key));
  EXPECT_NE(TokenId(a->public_key), TokenId(b->public_key));
}

TEST(TokenTest, FileIsWrittenPrivateAndReadBack) {
  char tmpl[] = "/tmp/jobctl-token-test-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string path = std::string(tmpl) + "/agent.token";
  Token token = MakeToken(TokenKind::kAgent);
  ASSERT_TRUE(WriteTokenFile(path, token).ok());
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto back = ReadTokenFile(path);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->Encode(), token.Encode());

  ASSERT_EQ(chmod(path.c_str(), 0644), 0);
  auto open = ReadTokenFile(path);
  ASSERT_FALSE(open.ok());
  EXPECT_NE(open.status().message().find("chmod 600"), std::string::npos);
  EXPECT_EQ(ReadTokenFile(path + ".missing").status().code(), StatusCode::kNotFound);
  std::system(("rm -rf " + std::string(tmpl)).c_str());
}

TEST(ClientCredentialsTest, DerivesTheClientPublicKey) {
  auto client = GenerateCurveKeyPair();
  auto server = GenerateCurveKeyPair();
  ASSERT_TRUE(client.ok() && server.ok());
  auto creds = CredentialsFromToken(Token{TokenKind::kUser, server->public_key, client->secret_key});
  ASSERT_TRUE(creds.ok());
  EXPECT_EQ(creds->client_public, client->public_key);
  EXPECT_EQ(creds->server_public, server->public_key);
}

}  // namespace
}  // namespace jobctl::auth
