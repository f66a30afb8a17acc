// DATA/auth: init creates the files with their modes, is idempotent,
// repairs what is missing, rotates; the registry persists; the access table.
#include "controller/auth/key_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "common/auth/client_credentials.h"
#include "controller/auth/access_policy.h"
#include "common/atomic_file.h"

namespace jobctl::controller::auth {
namespace {

using jobctl::auth::TokenKind;

unsigned ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

// The client public key of the token in `path`.
std::string ClientKeyOf(const std::string& path) {
  auto token = jobctl::auth::ReadTokenFile(path);
  EXPECT_TRUE(token.ok()) << token.status().ToString();
  if (!token.ok()) return "";
  auto creds = jobctl::auth::CredentialsFromToken(*token);
  EXPECT_TRUE(creds.ok());
  return creds.ok() ? creds->client_public : "";
}

class KeyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() /
            ("ctl_keys_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    std::filesystem::remove_all(dir_);
    paths_ = AuthPathsFor(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string dir_;
  AuthPaths paths_;
  FakeClock clock_;
};

TEST_F(KeyStoreTest, InitCreatesEveryFileWithItsMode) {
  auto state = InitAuth(dir_, false, &clock_);
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_EQ(ModeOf(paths_.dir), 0700u);
  EXPECT_EQ(ModeOf(paths_.controller_key), 0600u);
  EXPECT_EQ(ModeOf(paths_.controller_pub), 0644u);
  EXPECT_EQ(ModeOf(paths_.credentials), 0600u);
  EXPECT_EQ(ModeOf(paths_.admin_token), 0600u);
  EXPECT_EQ(ModeOf(paths_.agent_token), 0600u);
  EXPECT_FALSE(state->created.empty());

  auto pub = ReadWholeFile(paths_.controller_pub);
  ASSERT_TRUE(pub.ok());
  EXPECT_EQ(*pub, state->controller.public_key + "\n");

  // The two tokens name this controller and are registered as admin user and agent.
  auto admin = jobctl::auth::ReadTokenFile(paths_.admin_token);
  ASSERT_TRUE(admin.ok());
  EXPECT_EQ(admin->server_public, state->controller.public_key);
  auto admin_cred = state->registry->FindByPublicKey(ClientKeyOf(paths_.admin_token));
  ASSERT_TRUE(admin_cred.has_value());
  EXPECT_EQ(admin_cred->kind, TokenKind::kUser);
  EXPECT_EQ(admin_cred->name, "admin");
  EXPECT_TRUE(admin_cred->admin);
  auto agent_cred = state->registry->FindByPublicKey(ClientKeyOf(paths_.agent_token));
  ASSERT_TRUE(agent_cred.has_value());
  EXPECT_EQ(agent_cred->kind, TokenKind::kAgent);
  EXPECT_FALSE(agent_cred->admin);
  EXPECT_EQ(state->registry->size(), 2u);
}

TEST_F(KeyStoreTest, InitIsIdempotent) {
  auto first = InitAuth(dir_, false, &clock_);
  ASSERT_TRUE(first.ok());
  std::string admin_key = ClientKeyOf(paths_.admin_token);
  auto second = InitAuth(dir_, false, &clock_);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_TRUE(second->created.empty()) << second->created.front();
  EXPECT_EQ(second->controller.public_key, first->controller.public_key);
  EXPECT_EQ(second->controller.secret_key, first->controller.secret_key);
  EXPECT_EQ(ClientKeyOf(paths_.admin_token), admin_key);
  EXPECT_EQ(second->registry->size(), 2u);
}

TEST_F(KeyStoreTest, InitRepairsMissingFilesAndModes) {
  auto first = InitAuth(dir_, false, &clock_);
  ASSERT_TRUE(first.ok());
  std::string old_agent = ClientKeyOf(paths_.agent_token);
  ASSERT_EQ(::unlink(paths_.agent_token.c_str()), 0);
  ASSERT_EQ(::unlink(paths_.controller_pub.c_str()), 0);
  ASSERT_EQ(::chmod(paths_.controller_key.c_str(), 0644), 0);
  ASSERT_EQ(::chmod(paths_.dir.c_str(), 0755), 0);

  auto second = InitAuth(dir_, false, &clock_);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->controller.public_key, first->controller.public_key);
  EXPECT_EQ(ModeOf(paths_.controller_key), 0600u);
  EXPECT_EQ(ModeOf(paths_.dir), 0700u);
  EXPECT_EQ(*ReadWholeFile(paths_.controller_pub), first->controller.public_key + "\n");
  std::string new_agent = ClientKeyOf(paths_.agent_token);
  EXPECT_NE(new_agent, old_agent);
  EXPECT_TRUE(second->registry->FindByPublicKey(new_agent).has_value());
  EXPECT_GE(second->created.size(), 3u);
}

TEST_F(KeyStoreTest, RotateMakesNewKeysAndForgetsOtherCredentials) {
  auto first = InitAuth(dir_, false, &clock_);
  ASSERT_TRUE(first.ok());
  auto extra = jobctl::auth::GenerateCurveKeyPair();
  ASSERT_TRUE(extra.ok());
  ASSERT_TRUE(first->registry->Add(TokenKind::kUser, "alice", false, extra->public_key).ok());
  std::string old_admin = ClientKeyOf(paths_.admin_token);
  first->registry.reset();

  auto rotated = InitAuth(dir_, true, &clock_);
  ASSERT_TRUE(rotated.ok()) << rotated.status().ToString();
  EXPECT_NE(rotated->controller.public_key, first->controller.public_key);
  EXPECT_EQ(rotated->registry->size(), 2u);
  EXPECT_FALSE(rotated->registry->FindByPublicKey(extra->public_key).has_value());
  EXPECT_FALSE(rotated->registry->FindByPublicKey(old_admin).has_value());
  auto admin = jobctl::auth::ReadTokenFile(paths_.admin_token);
  ASSERT_TRUE(admin.ok());
  EXPECT_EQ(admin->server_public, rotated->controller.public_key);
  EXPECT_EQ(ModeOf(paths_.controller_key), 0600u);
  EXPECT_EQ(ModeOf(paths_.admin_token), 0600u);

  // What a restart loads is the rotated state.
  auto reloaded = InitAuth(dir_, false, &clock_);
  ASSERT_TRUE(reloaded.ok());
  EXPECT_TRUE(reloaded->created.empty());
  EXPECT_EQ(reloaded->controller.public_key, rotated->controller.public_key);
}

TEST_F(KeyStoreTest, ADamagedKeyFileIsAnErrorNamingIt) {
  ASSERT_TRUE(InitAuth(dir_, false, &clock_).ok());
  ASSERT_TRUE(WriteFileAtomically(paths_.controller_key, "not a key\n", 0600).ok());
  auto again = InitAuth(dir_, false, &clock_);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.status().message().find(paths_.controller_key), std::string::npos)
      << again.status().message();
}

TEST_F(KeyStoreTest, RegistryPersistsAddsAndRevocations) {
  std::filesystem::create_directories(dir_);
  std::string path = dir_ + "/credentials.json";
  auto a = jobctl::auth::GenerateCurveKeyPair();
  auto b = jobctl::auth::GenerateCurveKeyPair();
  ASSERT_TRUE(a.ok() && b.ok());
  std::string bob_id;
  {
    auto registry = CredentialRegistry::Open(path, &clock_);
    ASSERT_TRUE(registry.ok());
    auto alice = (*registry)->Add(TokenKind::kUser, "alice", false, a->public_key);
    ASSERT_TRUE(alice.ok());
    EXPECT_EQ(alice->id, jobctl::auth::TokenId(a->public_key));
    auto bob = (*registry)->Add(TokenKind::kUser, "bob", true, b->public_key);
    ASSERT_TRUE(bob.ok());
    bob_id = bob->id;
    EXPECT_EQ((*registry)->Add(TokenKind::kUser, "again", false, a->public_key).status().code(),
              StatusCode::kAlreadyExists);
    ASSERT_TRUE((*registry)->Revoke(alice->id).ok());
    EXPECT_EQ((*registry)->Revoke(alice->id).code(), StatusCode::kNotFound);
  }
  EXPECT_EQ(ModeOf(path), 0600u);
  auto reopened = CredentialRegistry::Open(path, &clock_);
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ((*reopened)->size(), 1u);
  EXPECT_FALSE((*reopened)->FindByPublicKey(a->public_key).has_value());
  auto bob = (*reopened)->FindById(bob_id);
  ASSERT_TRUE(bob.has_value());
  EXPECT_EQ(bob->name, "bob");
  EXPECT_TRUE(bob->admin);
  EXPECT_EQ(bob->public_key, b->public_key);

  ASSERT_TRUE(WriteFileAtomically(path, "[{\"kind\": \"robot\"}]", 0600).ok());
  auto broken = CredentialRegistry::Open(path, &clock_);
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("entry 0"), std::string::npos);
}

TEST(UserNameTest, FollowsTheRule) {
  for (const char* ok : {"alice", "_svc", "a", "bob.smith-2", "x_1"}) {
    EXPECT_TRUE(ValidateUserName(ok, "user").ok()) << ok;
  }
  for (const char* bad :
       {"", "Alice", "1bob", "-x", "a b", "bob!", "émile", "abcdefghijabcdefghijabcdefghijabc"}) {
    EXPECT_EQ(ValidateUserName(bad, "user").code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_TRUE(ValidateUserName(std::string(32, 'a'), "user").ok());
}

TEST(AccessPolicyTest, EachKindSendsOnlyItsMessages) {
  Principal agent{"a1", TokenKind::kAgent, "join", false};
  Principal user{"u1", TokenKind::kUser, "alice", false};
  Principal admin{"u2", TokenKind::kUser, "admin", true};
  EXPECT_TRUE(CheckAccess("register_node", agent).ok());
  EXPECT_TRUE(CheckAccess("heartbeat", agent).ok());
  EXPECT_TRUE(CheckAccess("ping", agent).ok());
  Status submit = CheckAccess("submit_job", agent);
  EXPECT_EQ(submit.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(submit.message(), "agent credentials cannot submit jobs");
  EXPECT_EQ(CheckAccess("create_token", agent).code(), StatusCode::kPermissionDenied);

  EXPECT_TRUE(CheckAccess("submit_job", user).ok());
  EXPECT_TRUE(CheckAccess("whoami", user).ok());
  Status reg = CheckAccess("register_node", user);
  EXPECT_EQ(reg.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(reg.message().find("user credentials cannot register as an agent"), std::string::npos);
  EXPECT_EQ(CheckAccess("log_batch", user).code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(CheckAccess("create_token", user).code(), StatusCode::kPermissionDenied);

  EXPECT_TRUE(CheckAccess("create_token", admin).ok());
  EXPECT_TRUE(CheckAccess("revoke_token", admin).ok());
  EXPECT_TRUE(CheckAccess("cancel_job", admin).ok());
  EXPECT_EQ(CheckAccess("blob_chunk", admin).code(), StatusCode::kPermissionDenied);
  // A type without a row is refused to everyone.
  EXPECT_EQ(CheckAccess("format_disk", admin).code(), StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace jobctl::controller::auth
