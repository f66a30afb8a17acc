// Authenticated, encrypted cluster traffic end to end (docs/security.md):
// agents need a join token the controller knows, clients a user token; a
// refused key is told apart from a dead controller; users see and control
// only their own jobs; tokens are created, used, listed and revoked with jobctl.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/auth/curve_keys.h"
#include "common/auth/token.h"
#include "tests/e2e/local_cluster.h"

namespace jobctl::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const std::set<std::string> kTerminal = {"SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT"};

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// `jobctl token create ARGS -o json` as the admin: {token, id, ...}.
nlohmann::json CreateToken(LocalCluster& cluster, std::vector<std::string> args) {
  args.insert(args.begin(), {"token", "create"});
  args.insert(args.end(), {"-o", "json"});
  auto r = cluster.Jobctl(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return nlohmann::json::parse(r.out, nullptr, false);
}

// A token for this controller whose client key the controller never saw.
std::string UnknownToken(const LocalCluster& cluster, auth::TokenKind kind) {
  auto server_public = Trim(ReadFile(cluster.controller_data_dir() + "/auth/controller.pub"));
  auto client = auth::GenerateCurveKeyPair();
  EXPECT_TRUE(client.ok());
  return auth::Token{kind, server_public, client->secret_key}.Encode();
}

// A token made for some other controller.
std::string ForeignToken(auth::TokenKind kind) {
  auto server = auth::GenerateCurveKeyPair();
  auto client = auth::GenerateCurveKeyPair();
  EXPECT_TRUE(server.ok() && client.ok());
  return auth::Token{kind, server->public_key, client->secret_key}.Encode();
}

std::string WriteToken(const LocalCluster& cluster, const std::string& name,
                       const std::string& text) {
  std::string path = cluster.dir() + "/" + name + ".token";
  auto token = auth::ParseToken(text);
  EXPECT_TRUE(token.ok()) << token.status().ToString();
  EXPECT_TRUE(auth::WriteTokenFile(path, *token).ok());
  return path;
}

bool NodeListed(LocalCluster& cluster, const std::string& node_id) {
  for (const auto& n : cluster.Nodes()) {
    if (n.id == node_id) return true;
  }
  return false;
}

// Whether a line of `log` holds every one of `words` (case-sensitive).
bool LogHasLineWith(const std::string& log, const std::vector<std::string>& words) {
  for (const auto& line : SplitLines(log)) {
    bool all = true;
    for (const auto& w : words) all = all && line.find(w) != std::string::npos;
    if (all) return true;
  }
  return false;
}

// Polls the controller log for a line with `words`, up to `timeout`.
bool WaitForLog(LocalCluster& cluster, const std::vector<std::string>& words,
                milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (LogHasLineWith(cluster.DaemonLog("jobctld"), words)) return true;
    std::this_thread::sleep_for(milliseconds(100));
  }
  return false;
}

TEST(SecurityTest, ControllerKeepsItsKeysPrivate) {
  LocalCluster cluster;
  cluster.StartController();
  struct stat st {};
  ASSERT_EQ(::stat((cluster.controller_data_dir() + "/auth").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  for (const char* file : {"controller.key", "admin.token", "agent.token"}) {
    ASSERT_EQ(::stat((cluster.controller_data_dir() + "/auth/" + file).c_str(), &st), 0) << file;
    EXPECT_EQ(st.st_mode & 0077, 0u) << file;
  }
}

TEST(SecurityTest, AgentWithoutAJoinTokenExits2) {
  LocalCluster cluster;
  cluster.StartController();
  Subprocess* agent = cluster.SpawnAgent("no-token", {}, /*with_token=*/false);
  auto code = agent->Wait(seconds(20));
  ASSERT_TRUE(code.has_value()) << cluster.DaemonLog("no-token");
  EXPECT_EQ(*code, 2);
  EXPECT_NE(cluster.DaemonLog("no-token")
                .find("no join token: pass --token-file FILE (create one with `jobctl token "
                      "create --agent`)"),
            std::string::npos)
      << cluster.DaemonLog("no-token");
}

TEST(SecurityTest, AgentWithAUserTokenIsRefusedAtStart) {
  LocalCluster cluster;
  cluster.StartController();
  Subprocess* agent =
      cluster.SpawnAgent("user-token", {"--token-file", cluster.admin_token_file()}, false);
  auto code = agent->Wait(seconds(20));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 2);
  EXPECT_NE(cluster.DaemonLog("user-token").find("a user token cannot join as an agent"),
            std::string::npos)
      << cluster.DaemonLog("user-token");
}

TEST(SecurityTest, RevokedOrForeignAgentTokensNeverBecomeReady) {
  LocalCluster cluster;
  cluster.StartController();
  auto created = CreateToken(cluster, {"--agent", "--name", "doomed"});
  ASSERT_TRUE(created.contains("token")) << created.dump();
  std::string doomed = WriteToken(cluster, "doomed", created["token"]);
  auto revoke = cluster.Jobctl({"token", "revoke", created["id"]});
  ASSERT_EQ(revoke.exit_code, 0) << revoke.err;
  std::string foreign = WriteToken(cluster, "foreign", ForeignToken(auth::TokenKind::kAgent));

  cluster.SpawnAgent("revoked", {"--token-file", doomed}, false);
  cluster.SpawnAgent("foreign", {"--token-file", foreign}, false);
  // A known agent joins meanwhile: the controller is serving.
  cluster.StartAgent("good");
  EXPECT_TRUE(WaitForLog(cluster, {"refused a connection from", "127.0.0.1"}, seconds(10)))
      << cluster.DaemonLog("jobctld");
  std::this_thread::sleep_for(seconds(2));
  EXPECT_FALSE(NodeListed(cluster, "revoked")) << cluster.DaemonLog("revoked");
  EXPECT_FALSE(NodeListed(cluster, "foreign")) << cluster.DaemonLog("foreign");
  EXPECT_NE(cluster.DaemonLog("revoked").find("refused this agent's join token"), std::string::npos)
      << cluster.DaemonLog("revoked");
}

TEST(SecurityTest, UnknownClientKeyIsPermissionDeniedNotAHang) {
  LocalCluster cluster;
  cluster.StartController();
  auto r = cluster.JobctlWithEnv({{"JOBCTL_TOKEN", UnknownToken(cluster, auth::TokenKind::kUser)}},
                                 {"--timeout-ms", "60000", "list"}, seconds(30));
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find("controller at " + cluster.endpoint() +
                       " refused these credentials (token revoked or made for another "
                       "controller): run `jobctl login`"),
            std::string::npos)
      << r.err;
  EXPECT_TRUE(WaitForLog(cluster, {"refused a connection from", "127.0.0.1"}, seconds(10)))
      << cluster.DaemonLog("jobctld");
}

TEST(SecurityTest, PlainTextClientGetsNoAnswer) {
  LocalCluster cluster;
  cluster.StartController();
  zmq::context_t context;
  RpcClient plain(context, cluster.endpoint());  // no credentials: the NULL mechanism
  auto reply = plain.Call<protocol::ListJobsReply>(protocol::ListJobsRequest{}, milliseconds(1500));
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), StatusCode::kUnavailable) << reply.status().ToString();
  // The refusal is logged (the monitor on the controller's socket).
  EXPECT_TRUE(WaitForLog(cluster, {"refused a connection"}, seconds(10)))
      << cluster.DaemonLog("jobctld");
  // With the admin's keys the same controller answers.
  auto admin = cluster.MakeClient(context);
  EXPECT_TRUE(admin->Call<protocol::ListJobsReply>(protocol::ListJobsRequest{}, seconds(5)).ok());
}

TEST(SecurityTest, UsersSeeAndControlOnlyTheirOwnJobs) {
  LocalCluster cluster;
  cluster.StartController();
  cluster.StartAgent("node-a");
  std::string alice = CreateToken(cluster, {"--user", "alice"})["token"];
  std::string bob = CreateToken(cluster, {"--user", "bob"})["token"];
  std::map<std::string, std::string> as_alice = {{"JOBCTL_TOKEN", alice}};
  std::map<std::string, std::string> as_bob = {{"JOBCTL_TOKEN", bob}};

  std::string spec = cluster.dir() + "/sleepy.yaml";
  std::ofstream(spec) << "name: alices\ncommand: echo alice-was-here; sleep 60\n";
  auto submitted = cluster.JobctlWithEnv(as_alice, {"submit", spec});
  ASSERT_EQ(submitted.exit_code, 0) << submitted.err;
  std::string id = Trim(submitted.out);
  ASSERT_EQ(cluster.WaitForState(id, {"RUNNING"}), "RUNNING");

  auto bob_list = cluster.JobctlWithEnv(as_bob, {"list", "-o", "json"});
  ASSERT_EQ(bob_list.exit_code, 0) << bob_list.err;
  EXPECT_EQ(nlohmann::json::parse(bob_list.out).size(), 0u) << bob_list.out;
  auto bob_logs = cluster.JobctlWithEnv(as_bob, {"logs", id});
  EXPECT_EQ(bob_logs.exit_code, 2) << bob_logs.out << bob_logs.err;
  EXPECT_EQ(bob_logs.out.find("alice-was-here"), std::string::npos);
  auto bob_cancel = cluster.JobctlWithEnv(as_bob, {"cancel", id});
  EXPECT_EQ(bob_cancel.exit_code, 2) << bob_cancel.err;
  EXPECT_EQ(cluster.GetJob(id).summary.state, "RUNNING");
  auto bob_tokens = cluster.JobctlWithEnv(as_bob, {"token", "list"});
  EXPECT_EQ(bob_tokens.exit_code, 4) << bob_tokens.err;
  EXPECT_NE(bob_tokens.err.find("permission denied"), std::string::npos) << bob_tokens.err;

  auto alice_list = cluster.JobctlWithEnv(as_alice, {"list", "-o", "json"});
  ASSERT_EQ(alice_list.exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(alice_list.out).size(), 1u) << alice_list.out;
  auto admin_list = cluster.Jobctl({"list", "-o", "json"});
  ASSERT_EQ(admin_list.exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(admin_list.out).size(), 1u) << admin_list.out;
  auto admin_cancel = cluster.Jobctl({"cancel", id});
  EXPECT_EQ(admin_cancel.exit_code, 0) << admin_cancel.err;
  EXPECT_EQ(cluster.WaitForState(id, kTerminal), "CANCELLED");
}

TEST(SecurityTest, TokenCreateLoginListRevokeEndToEnd) {
  LocalCluster cluster;
  cluster.StartController();
  auto created = cluster.Jobctl(
      {"token", "create", "--user", "carol", "--out", cluster.dir() + "/carol.token"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_TRUE(created.out.empty()) << "the token went to the file";
  struct stat st {};
  ASSERT_EQ(::stat((cluster.dir() + "/carol.token").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  // carol logs in with a config of her own; later commands need no flags.
  const std::map<std::string, std::string> carol = {
      {"XDG_CONFIG_HOME", cluster.dir() + "/carol-config"},
      {"JOBCTL_TOKEN", ""},
      {"JOBCTL_TOKEN_FILE", ""},
      {"JOBCTL_CONTROLLER", ""}};
  auto login = RunCommand({JOBCTL_PATH, "--controller", cluster.endpoint(), "login", "--token-file",
                           cluster.dir() + "/carol.token"},
                          seconds(30), carol);
  ASSERT_EQ(login.exit_code, 0) << login.err;
  EXPECT_NE(login.out.find("logged in to " + cluster.endpoint() + " as carol"), std::string::npos)
      << login.out;
  std::string config = cluster.dir() + "/carol-config/jobctl/config.yaml";
  ASSERT_EQ(::stat(config.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto whoami = RunCommand({JOBCTL_PATH, "whoami", "-o", "json"}, seconds(30), carol);
  ASSERT_EQ(whoami.exit_code, 0) << whoami.err;
  auto me = nlohmann::json::parse(whoami.out, nullptr, false);
  EXPECT_EQ(me["name"], "carol") << whoami.out;
  EXPECT_EQ(me["admin"], false);
  std::string carol_id = me["id"];

  auto list = cluster.Jobctl({"token", "list", "-o", "json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  auto tokens = nlohmann::json::parse(list.out, nullptr, false);
  bool listed = false;
  for (const auto& t : tokens) listed = listed || (t["id"] == carol_id && t["name"] == "carol");
  EXPECT_TRUE(listed) << list.out;
  EXPECT_EQ(list.out.find(ReadFile(cluster.dir() + "/carol.token").substr(0, 30)),
            std::string::npos)
      << "token list never shows a token";
  auto table = cluster.Jobctl({"token", "list"});
  EXPECT_NE(table.out.find("carol"), std::string::npos) << table.out;

  auto revoke = cluster.Jobctl({"token", "revoke", carol_id});
  ASSERT_EQ(revoke.exit_code, 0) << revoke.err;
  auto after = RunCommand({JOBCTL_PATH, "--timeout-ms", "30000", "list"}, seconds(30), carol);
  EXPECT_EQ(after.exit_code, 4) << after.err;
  EXPECT_NE(after.err.find("refused these credentials"), std::string::npos) << after.err;
  auto relist = cluster.Jobctl({"token", "list", "-o", "json"});
  EXPECT_EQ(relist.out.find(carol_id), std::string::npos) << relist.out;
}

}  // namespace
}  // namespace jobctl::testing
