#include "agent/container_runtime.h"

#include <signal.h>
#include <unistd.h>

#include <optional>
#include <string>

#include <gtest/gtest.h>
#include <boost/asio/post.hpp>

#include "agent/process_runtime.h"
#include "agent/test_util.h"

namespace jobctl::agent {
namespace {

using testing::RunUntil;
using Argv = std::vector<std::string>;

// Records every command; answers Run() through `respond` (default: success),
// and Spawn() with a real child that exits at once.
class FakeCommandRunner final : public CommandRunner {
 public:
  explicit FakeCommandRunner(boost::asio::io_context& io) : io_(io) {}

  void Run(const CommandSpec& spec, LineSink on_line,
           std::function<void(CommandOutcome)> on_done) override {
    runs.push_back(spec.argv);
    CommandOutcome outcome = respond ? respond(spec.argv) : CommandOutcome{};
    boost::asio::post(io_, [outcome, on_line, on_done] {
      if (on_line) {
        size_t pos = 0;
        while (pos < outcome.output.size()) {
          size_t nl = outcome.output.find('\n', pos);
          if (nl == std::string::npos) nl = outcome.output.size();
          on_line(std::string_view(outcome.output).substr(pos, nl - pos));
          pos = nl + 1;
        }
      }
      on_done(outcome);
    });
  }
  Result<SpawnedChild> Spawn(const SpawnOptions& options) override {
    spawned.push_back(options);
    SpawnOptions real = options;
    real.argv = {"/bin/sh", "-c", "exit 3"};
    real.cwd = "/";
    return SpawnChild(real);
  }

  std::function<CommandOutcome(const Argv&)> respond;
  std::vector<Argv> runs;
  std::vector<SpawnOptions> spawned;

 private:
  boost::asio::io_context& io_;
};

CommandOutcome Exit(int code, std::string output = "") {
  CommandOutcome o;
  o.exit.exit_code = code;
  o.output = std::move(output);
  return o;
}

bool Has(const Argv& argv, const std::string& word) {
  return std::find(argv.begin(), argv.end(), word) != argv.end();
}

ContainerCliOptions Podman() {
  ContainerCliOptions o;
  o.kind = "podman";
  o.binary = "/usr/bin/podman";
  o.global_flags = {"--runtime", "runc", "--cgroup-manager", "cgroupfs"};
  o.extra_env = {"CONTAINERS_CONF=/w/containers.conf"};
  o.insecure_registries = {"127.0.0.1:5000"};
  o.node_id = "node-a";
  o.stop_grace_seconds = 7;
  return o;
}

RankLaunch Launch() {
  RankLaunch l;
  l.command = "python3 train.py";
  l.cwd = "/w/jobs/j1/attempt-2/code";
  l.env = {"PATH=/usr/local/bin:/usr/bin", "RANK=3", "JOBCTL_OUTPUTS_DIR=/w/out",
           "CUDA_VISIBLE_DEVICES=1,3", "HOME=/root"};
  l.image = "127.0.0.1:5000/trainer:v1";
  l.gpus = {1, 3};
  l.mounts = {"/w/jobs/j1/attempt-2"};
  l.read_only_mounts = {"/data/mnist"};
  l.job_id = "j1";
  l.attempt = 2;
  l.rank = 3;
  return l;
}

TEST(ContainerArgvTest, PodmanRun) {
  Argv expected = {"/usr/bin/podman",
                   "--runtime",
                   "runc",
                   "--cgroup-manager",
                   "cgroupfs",
                   "run",
                   "--rm",
                   "--name",
                   "jobctl-j1-a2-r3",
                   "--label",
                   "jobctl.node=node-a",
                   "--label",
                   "jobctl.job=j1",
                   "--network",
                   "host",
                   "--ipc",
                   "host",
                   "--init",
                   "--pull",
                   "never",
                   "--log-driver",
                   "none",
                   "--volume",
                   "/w/jobs/j1/attempt-2:/w/jobs/j1/attempt-2",
                   "--volume",
                   "/data/mnist:/data/mnist:ro",
                   "--workdir",
                   "/w/jobs/j1/attempt-2/code",
                   "--env",
                   "RANK",
                   "--env",
                   "JOBCTL_OUTPUTS_DIR",
                   "--env",
                   "CUDA_VISIBLE_DEVICES",
                   "--device",
                   "nvidia.com/gpu=1",
                   "--device",
                   "nvidia.com/gpu=3",
                   "127.0.0.1:5000/trainer:v1",
                   "/bin/sh",
                   "-c",
                   "python3 train.py"};
  EXPECT_EQ(RunArgv(Podman(), Launch()), expected);
}

TEST(ContainerArgvTest, ClientEnvironmentCarriesValuesAndRenumbersGpus) {
  auto env = RunClientEnv(Podman(), Launch());
  auto has = [&](const std::string& kv) { return Has(env, kv); };
  EXPECT_TRUE(has("RANK=3"));
  EXPECT_TRUE(has("PATH=/usr/local/bin:/usr/bin"));  // for the CLI itself
  EXPECT_TRUE(has("CONTAINERS_CONF=/w/containers.conf"));
  EXPECT_TRUE(has("CUDA_VISIBLE_DEVICES=0,1"));
  EXPECT_FALSE(has("CUDA_VISIBLE_DEVICES=1,3"));
}

TEST(ContainerArgvTest, DockerGpusAndNoTlsFlag) {
  auto o = Podman();
  o.kind = "docker";
  o.binary = "/usr/bin/docker";
  o.global_flags.clear();
  auto argv = RunArgv(o, Launch());
  auto it = std::find(argv.begin(), argv.end(), "--gpus");
  ASSERT_NE(it, argv.end());
  EXPECT_EQ(*(it + 1), "\"device=1,3\"");
  EXPECT_FALSE(Has(argv, "--device"));
  EXPECT_EQ(PullArgv(o, "127.0.0.1:5000/x:1"),
            (Argv{"/usr/bin/docker", "pull", "127.0.0.1:5000/x:1"}));
  EXPECT_EQ(ImageExistsArgv(o, "a/b"),
            (Argv{"/usr/bin/docker", "image", "inspect", "--format", "{{.Id}}", "a/b"}));
}

TEST(ContainerArgvTest, PullTlsOnlyForInsecureRegistries) {
  auto o = Podman();
  EXPECT_TRUE(Has(PullArgv(o, "127.0.0.1:5000/x:1"), "--tls-verify=false"));
  EXPECT_FALSE(Has(PullArgv(o, "registry.example.com/x:1"), "--tls-verify=false"));
  EXPECT_FALSE(Has(PullArgv(o, "debian:12"), "--tls-verify=false"));
  EXPECT_EQ(RegistryOf("debian:12"), "");
  EXPECT_EQ(RegistryOf("library/debian"), "");
  EXPECT_EQ(RegistryOf("localhost/x"), "localhost");
  EXPECT_EQ(RegistryOf("ghcr.io/a/b:1"), "ghcr.io");
}

TEST(ContainerArgvTest, NamesAreSanitized) {
  EXPECT_EQ(ContainerName("job/1 x", 0, 1), "jobctl-job_1_x-a0-r1");
}

class ContainerRuntimeTest : public ::testing::Test {
 protected:
  boost::asio::io_context io_;
  FakeCommandRunner commands_{io_};
  ContainerRuntime runtime_{io_, &commands_, Podman()};

  // Prepares `image` and waits for the result.
  Status Prepare(const std::string& image, const std::string& policy,
                 std::vector<std::string>* lines = nullptr) {
    std::optional<Status> result;
    runtime_.PrepareImage(
        {image, policy},
        [lines](std::string_view l) {
          if (lines) lines->emplace_back(l);
        },
        [&](const Status& s) { result = s; });
    EXPECT_TRUE(RunUntil(io_, [&] { return result.has_value(); }));
    return result.value_or(InternalError("no answer"));
  }
};

TEST_F(ContainerRuntimeTest, PresentImageIsNotPulled) {
  Status s = Prepare("127.0.0.1:5000/x:1", "if_not_present");
  EXPECT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(commands_.runs.size(), 1u);
  EXPECT_EQ(commands_.runs[0], (Argv{"/usr/bin/podman", "--runtime", "runc", "--cgroup-manager",
                                     "cgroupfs", "image", "exists", "127.0.0.1:5000/x:1"}));
}

TEST_F(ContainerRuntimeTest, AbsentImageIsPulledOnceForConcurrentRequests) {
  commands_.respond = [](const Argv& argv) {
    if (Has(argv, "exists")) return Exit(1);
    return Exit(0, "Copying blob sha256:abc\nWriting manifest to image destination");
  };
  int done = 0;
  std::vector<std::string> lines;
  for (int i = 0; i < 2; ++i) {
    runtime_.PrepareImage(
        {"127.0.0.1:5000/x:1", "if_not_present"},
        [&lines](std::string_view l) { lines.emplace_back(l); },
        [&](const Status& s) {
          EXPECT_TRUE(s.ok()) << s.ToString();
          ++done;
        });
  }
  ASSERT_TRUE(RunUntil(io_, [&] { return done == 2; }));
  int pulls = 0;
  for (const auto& argv : commands_.runs) pulls += Has(argv, "pull");
  EXPECT_EQ(pulls, 1);
  EXPECT_TRUE(Has(lines, "Copying blob sha256:abc"));
}

TEST_F(ContainerRuntimeTest, AlwaysPullsAndNeverRefusesAbsent) {
  Status s = Prepare("127.0.0.1:5000/x:1", "always");
  EXPECT_TRUE(s.ok());
  ASSERT_EQ(commands_.runs.size(), 1u);
  EXPECT_TRUE(Has(commands_.runs[0], "pull"));
  EXPECT_TRUE(Has(commands_.runs[0], "--tls-verify=false"));

  commands_.runs.clear();
  commands_.respond = [](const Argv&) { return Exit(1); };
  s = Prepare("127.0.0.1:5000/x:2", "never");
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_NE(s.message().find("127.0.0.1:5000/x:2"), std::string::npos) << s.message();
  ASSERT_EQ(commands_.runs.size(), 1u);  // no pull
}

TEST_F(ContainerRuntimeTest, PullFailureGivesTheRegistrysReason) {
  commands_.respond = [](const Argv& argv) {
    if (Has(argv, "exists")) return Exit(1);
    return Exit(125,
                "Trying to pull 127.0.0.1:5000/x:nope...\n"
                "Error: reading manifest nope in 127.0.0.1:5000/x: manifest unknown\n");
  };
  Status s = Prepare("127.0.0.1:5000/x:nope", "if_not_present");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("pulling image 127.0.0.1:5000/x:nope failed on node node-a: Error: "
                             "reading manifest nope"),
            std::string::npos)
      << s.message();
}

TEST_F(ContainerRuntimeTest, StartStopAndRemove) {
  std::optional<ExitInfo> exit;
  auto started = runtime_.Start(Launch(), [&](ExitInfo info) { exit = info; });
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  ::close(started->stdout_fd);
  ::close(started->stderr_fd);
  ASSERT_EQ(commands_.spawned.size(), 1u);
  EXPECT_EQ(commands_.spawned[0].argv, RunArgv(Podman(), Launch()));
  EXPECT_TRUE(runtime_.Signal(started->id, SIGTERM).ok());
  ASSERT_TRUE(RunUntil(io_, [&] { return exit.has_value(); }));
  EXPECT_EQ(exit->exit_code, 3);  // the client's exit code is the rank's
  ASSERT_EQ(commands_.runs.size(), 2u);
  EXPECT_EQ(commands_.runs[0], (Argv{"/usr/bin/podman", "--runtime", "runc", "--cgroup-manager",
                                     "cgroupfs", "stop", "-t", "7", "jobctl-j1-a2-r3"}));
  // The container is removed before on_exit.
  EXPECT_EQ(commands_.runs[1], RemoveArgv(Podman(), {"jobctl-j1-a2-r3"}));
}

TEST_F(ContainerRuntimeTest, RemoveLeftoversRemovesListedContainers) {
  commands_.respond = [](const Argv& argv) {
    if (Has(argv, "ps")) return Exit(0, "jobctl-j1-a0-r0\njobctl-j2-a1-r3\n");
    return Exit(0);
  };
  std::optional<Result<int>> removed;
  runtime_.RemoveLeftovers([&](const Result<int>& r) { removed = r; });
  ASSERT_TRUE(RunUntil(io_, [&] { return removed.has_value(); }));
  ASSERT_TRUE(removed->ok());
  EXPECT_EQ(**removed, 2);
  ASSERT_EQ(commands_.runs.size(), 2u);
  EXPECT_TRUE(Has(commands_.runs[0], "label=jobctl.node=node-a"));
  EXPECT_EQ(commands_.runs[1], RemoveArgv(Podman(), {"jobctl-j1-a0-r0", "jobctl-j2-a1-r3"}));
}

TEST(ProcessRuntimeImageTest, RefusesImages) {
  boost::asio::io_context io;
  ProcessRuntime runtime(io);
  std::optional<Status> result;
  runtime.PrepareImage({"127.0.0.1:5000/x:1", "if_not_present"}, nullptr,
                       [&](const Status& s) { result = s; });
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(result->message().find("--runtime process"), std::string::npos);
}

TEST(AsioCommandRunnerTest, OutputExitCodeAndTimeout) {
  boost::asio::io_context io;
  AsioCommandRunner runner(io);
  std::optional<CommandOutcome> a, b;
  std::vector<std::string> lines;
  runner.Run(
      {{"/bin/sh", "-c", "echo one; echo two >&2; exit 4"}, {}, std::chrono::seconds(20)},
      [&](std::string_view l) { lines.emplace_back(l); }, [&](const CommandOutcome& o) { a = o; });
  runner.Run({{"/bin/sh", "-c", "sleep 30"}, {}, std::chrono::milliseconds(200)}, nullptr,
             [&](const CommandOutcome& o) { b = o; });
  ASSERT_TRUE(RunUntil(io, [&] { return a && b; }));
  EXPECT_EQ(a->exit.exit_code, 4);
  EXPECT_FALSE(a->timed_out);
  EXPECT_EQ(lines.size(), 2u);
  EXPECT_TRUE(b->timed_out);
  EXPECT_EQ(b->exit.signal, SIGKILL);
}

}  // namespace
}  // namespace jobctl::agent
