// With no controller, every jobctl command fails with exit status 3 and names
// the address, instead of hanging.
#include <gtest/gtest.h>

#include <fstream>

#include "common/auth/curve_keys.h"
#include "common/auth/token.h"
#include "tests/e2e/local_cluster.h"

namespace jobctl::testing {
namespace {

TEST(NoControllerTest, EveryCommandExitsThree) {
  // A port nothing listens on: bind nothing, use a reserved-looking high port
  // from a closed socket.
  LocalCluster cluster;  // chooses a free port and starts nothing
  // Any well-formed token: nothing answers to check it.
  auto server = auth::GenerateCurveKeyPair();
  auto client = auth::GenerateCurveKeyPair();
  ASSERT_TRUE(server.ok() && client.ok());
  std::string token =
      auth::Token{auth::TokenKind::kUser, server->public_key, client->secret_key}.Encode();
  std::string spec = cluster.dir() + "/ok.yaml";
  std::ofstream(spec) << "name: ok\ncommand: 'true'\n";
  const std::vector<std::vector<std::string>> commands = {
      {"list"},       {"show", "1"},   {"cancel", "1"}, {"nodes"},
      {"logs", "1"},  {"logs", "1", "-f"}, {"submit", spec}, {"list", "-o", "json"}};
  for (const auto& args : commands) {
    auto r = cluster.JobctlWithEnv({{"JOBCTL_TOKEN", token}}, args, std::chrono::seconds(10));
    std::string what = args[0] + (args.size() > 1 ? " " + args[1] : "");
    EXPECT_FALSE(r.timed_out) << what;
    EXPECT_EQ(r.exit_code, 3) << what << ": " << r.err;
    EXPECT_NE(r.err.find(cluster.endpoint()), std::string::npos) << what << ": " << r.err;
  }
}

}  // namespace
}  // namespace jobctl::testing
