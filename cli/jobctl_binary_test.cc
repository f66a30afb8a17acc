// Runs the built jobctl binary as a child process.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "cli/child_process_test_util.h"
#include "cli/local_cluster.h"
#include "cli/test_util.h"
#include "common/auth/curve_keys.h"
#include "common/auth/token.h"

namespace jobctl::cli {
namespace {

using std::chrono::milliseconds;

const std::string kJobctl = JOBCTL_BINARY;

// A well-formed token; no test here has a controller that checks it.
std::string SomeToken() {
  auto server = auth::GenerateCurveKeyPair();
  auto client = auth::GenerateCurveKeyPair();
  return auth::Token{auth::TokenKind::kUser, server->public_key, client->secret_key}.Encode();
}

// Keeps every child away from the developer's own config file and token.
std::vector<std::string> HermeticEnv(const TempDir& home) {
  return {"XDG_CONFIG_HOME=" + home.path() + "/config",
          "XDG_DATA_HOME=" + home.path() + "/data",
          "HOME=" + home.path(),
          "JOBCTL_CONTROLLER=",
          "JOBCTL_TOKEN=" + SomeToken(),
          "JOBCTL_TOKEN_FILE="};
}

std::vector<std::string> WithoutToken(const TempDir& home) {
  auto env = HermeticEnv(home);
  for (auto& e : env) {
    if (e.rfind("JOBCTL_TOKEN=", 0) == 0) e = "JOBCTL_TOKEN=";
  }
  return env;
}

// A TCP listener on 127.0.0.1 that never accepts on its own: a connection
// that reached it waits in the backlog, where ConnectionsSeen() finds it.
class SilentListener {
 public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    ::listen(fd_, 16);
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentListener() { ::close(fd_); }
  int port() const { return port_; }
  int ConnectionsSeen() {
    int n = 0;
    for (int fd; (fd = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC)) >= 0;) {
      ::close(fd);
      ++n;
    }
    return n;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(JobctlBinaryTest, UnreachableControllerExits3WithinFiveSeconds) {
  TempDir home;
  auto port = PickFreePort();
  ASSERT_TRUE(port.ok());
  std::string endpoint = "tcp://127.0.0.1:" + std::to_string(*port);
  for (const std::vector<std::string>& verb :
       std::vector<std::vector<std::string>>{{"list"}, {"show", "1"}, {"nodes"}, {"logs", "1"},
                                             {"cancel", "1"}}) {
    std::vector<std::string> argv = {kJobctl, "--controller", endpoint};
    argv.insert(argv.end(), verb.begin(), verb.end());
    ChildRun run = RunChild(argv, HermeticEnv(home), milliseconds(5000));
    ASSERT_FALSE(run.killed_at_deadline) << verb[0] << " did not exit within 5 s";
    EXPECT_EQ(run.exit_code, 3) << verb[0] << ": " << run.err;
    EXPECT_EQ(run.err.rfind("jobctl: cannot reach the controller at " + endpoint + ": ", 0), 0u)
        << run.err;
    EXPECT_TRUE(run.out.empty());
  }
}

TEST(JobctlBinaryTest, EnvironmentAddressIsUsed) {
  TempDir home;
  auto port = PickFreePort();
  ASSERT_TRUE(port.ok());
  std::string endpoint = "tcp://127.0.0.1:" + std::to_string(*port);
  auto env = HermeticEnv(home);
  env.push_back("JOBCTL_CONTROLLER=" + endpoint);
  ChildRun run = RunChild({kJobctl, "list"}, env, milliseconds(5000));
  ASSERT_FALSE(run.killed_at_deadline);
  EXPECT_EQ(run.exit_code, 3);
  EXPECT_NE(run.err.find(endpoint), std::string::npos) << run.err;
}

TEST(JobctlBinaryTest, SilentControllerTimesOutWithExit3) {
  TempDir home;
  SilentListener listener;  // accepts TCP but never speaks ZMTP
  std::string endpoint = "tcp://127.0.0.1:" + std::to_string(listener.port());
  ChildRun run = RunChild({kJobctl, "--timeout-ms", "300", "--controller", endpoint, "list"},
                          HermeticEnv(home), milliseconds(5000));
  ASSERT_FALSE(run.killed_at_deadline);
  EXPECT_EQ(run.exit_code, 3) << run.err;
  EXPECT_NE(run.err.find("cannot reach the controller at " + endpoint), std::string::npos);
}

TEST(JobctlBinaryTest, BadSpecExits2AndSendsNothing) {
  TempDir home;
  SilentListener listener;
  std::string spec = home.Write("bad.yaml", "name: x\nresources:\n  instance_count: two\nbogus_key: 1\n");
  std::string endpoint = "tcp://127.0.0.1:" + std::to_string(listener.port());
  ChildRun run = RunChild({kJobctl, "--controller", endpoint, "submit", spec}, HermeticEnv(home),
                          milliseconds(5000));
  ASSERT_FALSE(run.killed_at_deadline);
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_NE(run.err.find("bad.yaml"), std::string::npos) << run.err;
  EXPECT_TRUE(run.out.empty()) << run.out;
  EXPECT_EQ(listener.ConnectionsSeen(), 0);

  ChildRun missing = RunChild({kJobctl, "--controller", endpoint, "submit", home.path() + "/none.yaml"},
                              HermeticEnv(home), milliseconds(5000));
  EXPECT_EQ(missing.exit_code, 2) << missing.err;
  EXPECT_EQ(listener.ConnectionsSeen(), 0);
}

TEST(JobctlBinaryTest, OversizedSpecFileExits2NamingTheLimitAndSendsNothing) {
  TempDir home;
  SilentListener listener;
  // Valid YAML past 1 MiB: a long comment.
  std::string spec =
      home.Write("big.yaml", "name: x\ncommand: echo\n# " + std::string(2u << 20, 'c') + "\n");
  std::string endpoint = "tcp://127.0.0.1:" + std::to_string(listener.port());
  ChildRun run = RunChild({kJobctl, "--controller", endpoint, "submit", spec}, HermeticEnv(home),
                          milliseconds(5000));
  ASSERT_FALSE(run.killed_at_deadline);
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_NE(run.err.find("big.yaml: the spec is 2.0 MiB, over the limit of 1 MiB (spec_file_bytes)"),
            std::string::npos)
      << run.err;
  EXPECT_EQ(listener.ConnectionsSeen(), 0);
}

TEST(JobctlBinaryTest, UsageErrorsExit2) {
  TempDir home;
  EXPECT_EQ(RunChild({kJobctl}, HermeticEnv(home), milliseconds(5000)).exit_code, 2);
  EXPECT_EQ(RunChild({kJobctl, "list", "--bogus"}, HermeticEnv(home), milliseconds(5000)).exit_code, 2);
  EXPECT_EQ(RunChild({kJobctl, "list", "-o", "xml"}, HermeticEnv(home), milliseconds(5000)).exit_code, 2);
  EXPECT_EQ(RunChild({kJobctl, "--controller", "nonsense", "list"}, HermeticEnv(home), milliseconds(5000))
                .exit_code,
            2);
  ChildRun help = RunChild({kJobctl, "submit", "--help"}, HermeticEnv(home), milliseconds(5000));
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--follow"), std::string::npos);
  EXPECT_NE(help.out.find("Example"), std::string::npos);
}

TEST(JobctlBinaryTest, NoTokenExits2WithALoginHintAndSendsNothing) {
  TempDir home;
  SilentListener listener;
  std::string endpoint = "tcp://127.0.0.1:" + std::to_string(listener.port());
  ChildRun run =
      RunChild({kJobctl, "--controller", endpoint, "list"}, WithoutToken(home), milliseconds(5000));
  ASSERT_FALSE(run.killed_at_deadline);
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_NE(run.err.find("no credentials for " + endpoint + ": run `jobctl login`"),
            std::string::npos)
      << run.err;
  EXPECT_EQ(listener.ConnectionsSeen(), 0);
}

TEST(JobctlBinaryTest, BadTokenSourcesExit2NamingThem) {
  TempDir home;
  SilentListener listener;
  std::string endpoint = "tcp://127.0.0.1:" + std::to_string(listener.port());
  ChildRun missing =
      RunChild({kJobctl, "--controller", endpoint, "--token-file", home.path() + "/none", "nodes"},
               HermeticEnv(home), milliseconds(5000));
  EXPECT_EQ(missing.exit_code, 2) << missing.err;
  EXPECT_NE(missing.err.find("--token-file"), std::string::npos) << missing.err;
  auto env = WithoutToken(home);
  env.push_back("JOBCTL_TOKEN=jct1_user_nonsense");
  ChildRun garbage =
      RunChild({kJobctl, "--controller", endpoint, "nodes"}, env, milliseconds(5000));
  EXPECT_EQ(garbage.exit_code, 2) << garbage.err;
  EXPECT_NE(garbage.err.find("$JOBCTL_TOKEN"), std::string::npos) << garbage.err;
  EXPECT_EQ(listener.ConnectionsSeen(), 0);
}

TEST(JobctlBinaryTest, LoginNeverTakesTheTokenFromTheCommandLine) {
  TempDir home;
  // No file and empty standard input: a usage error before any connection.
  SilentListener listener;
  std::string endpoint = "tcp://127.0.0.1:" + std::to_string(listener.port());
  ChildRun run = RunChild({kJobctl, "--controller", endpoint, "login"}, WithoutToken(home),
                          milliseconds(5000));
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_NE(run.err.find("--token-file"), std::string::npos) << run.err;
  ChildRun extra = RunChild({kJobctl, "--controller", endpoint, "login", SomeToken()},
                            WithoutToken(home), milliseconds(5000));
  EXPECT_EQ(extra.exit_code, 2) << extra.err;
  EXPECT_EQ(listener.ConnectionsSeen(), 0);
}

TEST(JobctlBinaryTest, HelpTeachesLoginAndTokens) {
  TempDir home;
  ChildRun top = RunChild({kJobctl, "--help"}, HermeticEnv(home), milliseconds(5000));
  EXPECT_EQ(top.exit_code, 0);
  EXPECT_NE(top.out.find("login"), std::string::npos);
  EXPECT_NE(top.out.find("token"), std::string::npos);
  EXPECT_NE(top.out.find("--token-file"), std::string::npos);
  EXPECT_NE(top.out.find("4 permission denied"), std::string::npos) << top.out;
  for (std::vector<std::string> verb : {std::vector<std::string>{"token", "create"},
                                        {"token", "list"},
                                        {"token", "revoke"},
                                        {"login"},
                                        {"whoami"}}) {
    std::vector<std::string> argv = {kJobctl};
    argv.insert(argv.end(), verb.begin(), verb.end());
    argv.push_back("--help");
    ChildRun help = RunChild(argv, HermeticEnv(home), milliseconds(5000));
    EXPECT_EQ(help.exit_code, 0) << verb[0];
    EXPECT_NE(help.out.find("Example"), std::string::npos) << verb[0];
    EXPECT_NE(help.out.find("json"), std::string::npos) << verb[0];
  }
  ChildRun both = RunChild({kJobctl, "token", "create", "--agent", "--user", "x"},
                           HermeticEnv(home), milliseconds(5000));
  EXPECT_EQ(both.exit_code, 2) << both.err;
}

}  // namespace
}  // namespace jobctl::cli
