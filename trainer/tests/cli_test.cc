// Runs the jobtrainer binary: accuracy bounds on real data, resume, the
// data-parallel equivalence, and bad input.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <thread>

#include "trainer/checkpoint/safetensors.h"
#include "trainer/train/device_choice.h"

namespace jobctl::trainer {
namespace {

const std::string kBinary = JOBTRAINER_PATH;
const std::string kData = JOBCTL_TEST_DATA_DIR;

struct RunResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

RunResult RunTrainer(const std::string& args, const std::string& env = "") {
  std::string command = env + " timeout 240 " + kBinary + " " + args + " 2>&1";
  RunResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) result.output.append(buffer, n);
  int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// The last epoch line's val_accuracy, or -1.
double LastAccuracy(const std::string& output) {
  static const std::regex kLine(
      "epoch [0-9]+/[0-9]+ train_loss=[0-9.]+ val_loss=[0-9.]+ val_accuracy=([0-9.]+) "
      "samples_per_second=[0-9]+ epoch_seconds=[0-9.]+");
  double accuracy = -1.0;
  for (std::sregex_iterator it(output.begin(), output.end(), kLine), end; it != end; ++it) {
    accuracy = std::stod((*it)[1].str());
  }
  return accuracy;
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("trainer_cli_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Out(const std::string& name) const { return (dir_ / name).string(); }
  std::filesystem::path dir_;
};

double MaxAbsDiff(const std::string& a_path, const std::string& b_path) {
  auto a = ReadSafetensors(a_path);
  auto b = ReadSafetensors(b_path);
  if (!a.ok() || !b.ok() || a->tensors.size() != b->tensors.size()) return 1e9;
  double diff = 0.0;
  for (const auto& [name, tensor] : a->tensors) {
    const auto& other = b->tensors[name].data;
    if (other.size() != tensor.data.size()) return 1e9;
    for (size_t i = 0; i < other.size(); ++i) {
      diff = std::max(diff, std::fabs(static_cast<double>(tensor.data[i]) - other[i]));
    }
  }
  return diff;
}

TEST_F(CliTest, MnistMlpReaches95PercentIn4Epochs) {
  // The full contract run (10 epochs) reaches >= 97%; CI runs 4 epochs.
  RunResult r = RunTrainer("--data mnist:" + kData + "/mnist --train-split 8000 --model mlp:784-512-512-10"
                    " --optimizer adam --lr 1e-3 --batch-size 64 --epochs 4 --threads 2 --device auto"
                    " --outputs " + Out("out"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_GE(LastAccuracy(r.output), 0.95) << r.output;
  EXPECT_TRUE(std::filesystem::exists(Out("out/model.safetensors")));
  EXPECT_TRUE(std::filesystem::exists(Out("out/checkpoints/epoch-4.safetensors")));
  // predict on the held-out 2000 gives the last epoch's accuracy.
  RunResult p = RunTrainer("predict --model-file " + Out("out/model.safetensors") + " --data mnist:" +
                    kData + "/mnist --skip 8000");
  ASSERT_EQ(p.exit_code, 0) << p.output;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(p.output, m, std::regex("accuracy=([0-9.]+) samples=2000")))
      << p.output;
  EXPECT_NEAR(std::stod(m[1].str()), LastAccuracy(r.output), 1e-4);
}

TEST_F(CliTest, IrisFromYamlConfig) {
  std::ofstream(Out("train.yaml")) << "data: csv:" << kData << "/iris/iris.csv\n"
                                   << "train-split: 120\nshuffle_split: 1\n"
                                   << "model: mlp:4-5-5-3\noptimizer: adam\nlr: 0.01\n"
                                   << "batch-size: 16\nepochs: 60\noutputs: " << Out("out") << "\n";
  RunResult r = RunTrainer("--config " + Out("train.yaml"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_GE(LastAccuracy(r.output), 0.95) << r.output;
}

TEST_F(CliTest, DigitsReaches95Percent) {
  RunResult r = RunTrainer("--data csv:" + kData + "/digits/digits.csv.gz --train-split 1500"
                    " --shuffle-split 1 --model mlp:64-128-10 --optimizer adam --lr 1e-3"
                    " --batch-size 32 --epochs 30 --outputs " + Out("out"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_GE(LastAccuracy(r.output), 0.95) << r.output;
}

TEST_F(CliTest, ResumeEqualsUninterruptedRun) {
  const std::string common = "--data csv:" + kData + "/digits/digits.csv.gz --train-split 1500"
                             " --model mlp:64-64-10 --dropout 0.2 --optimizer sgd --lr 0.05"
                             " --momentum 0.9 --batch-size 32 --seed 5 ";
  RunResult straight = RunTrainer(common + "--epochs 6 --outputs " + Out("a"));
  ASSERT_EQ(straight.exit_code, 0) << straight.output;
  RunResult first = RunTrainer(common + "--epochs 4 --outputs " + Out("b"));
  ASSERT_EQ(first.exit_code, 0) << first.output;
  RunResult resumed = RunTrainer(common + "--epochs 6 --resume --outputs " + Out("b"));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_EQ(resumed.output.find("epoch 4/6"), std::string::npos) << resumed.output;
  EXPECT_NE(resumed.output.find("epoch 5/6"), std::string::npos) << resumed.output;
  EXPECT_LE(MaxAbsDiff(Out("a/model.safetensors"), Out("b/model.safetensors")), 1e-6);
}

// Two runs on one --checkpoint-dir, as a lost attempt's rank still running
// and the job's next attempt: the newer one resumes from the older one's
// last checkpoint, the older one stops at its next checkpoint, and every
// checkpoint after the resume point is the newer run's.
TEST_F(CliTest, ANewerRunOnTheCheckpointDirStopsTheOlderOne) {
  const std::string common = "--data csv:" + kData + "/digits/digits.csv.gz --train-split 1500"
                             " --shuffle-split 1 --model mlp:64-256-256-10 --optimizer adam"
                             " --batch-size 16 --threads 1 --checkpoint-dir " + Out("shared") + " ";
  // The older run, in the background; its output and exit status go to files.
  ASSERT_EQ(std::system(("(timeout 240 " + kBinary + " " + common + "--epochs 300 --outputs " +
                         Out("old") + " > " + Out("old.log") + " 2>&1; echo $? > " +
                         Out("old.rc") + ") &")
                            .c_str()),
            0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!std::filesystem::exists(Out("shared/epoch-2.safetensors")) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(std::filesystem::exists(Out("shared/epoch-2.safetensors")));
  RunResult newer = RunTrainer(common + "--epochs 30 --resume --outputs " + Out("new"));
  ASSERT_EQ(newer.exit_code, 0) << newer.output;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(newer.output, m, std::regex("resume: epoch ([0-9]+) from ")))
      << newer.output;
  const int resumed = std::stoi(m[1].str());
  EXPECT_GE(resumed, 2);
  EXPECT_FALSE(std::filesystem::exists(Out("new/checkpoints")));
  EXPECT_TRUE(std::filesystem::exists(Out("new/model.safetensors")));

  while (!std::filesystem::exists(Out("old.rc")) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::string old_rc, old_log;
  std::getline(std::ifstream(Out("old.rc")), old_rc);
  {
    std::ifstream in(Out("old.log"));
    old_log.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  EXPECT_EQ(old_rc, "1") << old_log;
  EXPECT_NE(old_log.find("was taken over by"), std::string::npos) << old_log;
  EXPECT_FALSE(std::filesystem::exists(Out("old/model.safetensors")));

  std::string writer;
  std::getline(std::ifstream(Out("shared/writer")), writer);
  for (int epoch = resumed + 1; epoch <= 30; ++epoch) {
    auto file = ReadSafetensors(Out("shared/epoch-" + std::to_string(epoch) + ".safetensors"));
    ASSERT_TRUE(file.ok()) << file.status().ToString();
    EXPECT_EQ(file->metadata["writer"], writer) << "epoch " << epoch;
  }
}

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

TEST_F(CliTest, TwoGlooRanksEqualOneRank) {
#if !JOBCTL_TRAINER_HAVE_COMM
  GTEST_SKIP() << "this build has no trainer/comm (Gloo communicator)";
#endif
  const std::string common = "--data csv:" + kData + "/digits/digits.csv.gz --train-split 1500"
                             " --model mlp:64-64-10 --optimizer sgd --lr 0.05 --momentum 0.9"
                             " --batch-size 64 --epochs 1 --threads 1 --seed 3 ";
  RunResult single = RunTrainer(common + "--outputs " + Out("one"));
  ASSERT_EQ(single.exit_code, 0) << single.output;
  const std::string env = "WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=" +
                          std::to_string(FreePort());
  // Rank 1 in the background, rank 0 in the foreground; rank 1's output and
  // exit code go to files.
  std::string rank1 = "(" + env + " RANK=1 LOCAL_RANK=1 timeout 120 " + kBinary + " " + common +
                      "--outputs " + Out("two1") + " > " + Out("rank1.log") + " 2>&1; echo $? > " +
                      Out("rank1.rc") + ") &";
  RunResult rank0 = RunTrainer(common + "--outputs " + Out("two0"), rank1 + " " + env + " RANK=0 LOCAL_RANK=0");
  ASSERT_EQ(rank0.exit_code, 0) << rank0.output;
  std::string rc;
  for (int i = 0; i < 600 && rc.empty(); ++i) {  // rank 1 finishes with rank 0; bounded wait
    std::ifstream(Out("rank1.rc")) >> rc;
    if (rc.empty()) usleep(100'000);
  }
  EXPECT_EQ(rc, "0");
  EXPECT_LE(MaxAbsDiff(Out("one/model.safetensors"), Out("two0/model.safetensors")), 1e-5);
}

// The CNN's fused conv blocks sum gradients in fixed sample groups; two ranks
// of 32 samples each must still match one rank of 64.
TEST_F(CliTest, TwoGlooRanksEqualOneRankCnn) {
#if !JOBCTL_TRAINER_HAVE_COMM
  GTEST_SKIP() << "this build has no trainer/comm (Gloo communicator)";
#endif
  const std::string common = "--data mnist:" + kData +
                             "/mnist --train-split 640 --model cnn"
                             " --optimizer adam --lr 1e-3 --batch-size 64 --epochs 1"
                             " --threads 1 --seed 3 ";
  RunResult single = RunTrainer(common + "--outputs " + Out("cnn_one"));
  ASSERT_EQ(single.exit_code, 0) << single.output;
  const std::string env =
      "WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(FreePort());
  std::string rank1 = "(" + env + " RANK=1 LOCAL_RANK=1 timeout 120 " + kBinary + " " + common +
                      "--outputs " + Out("cnn_two1") + " > " + Out("cnn_rank1.log") +
                      " 2>&1; echo $? > " + Out("cnn_rank1.rc") + ") &";
  RunResult rank0 = RunTrainer(common + "--outputs " + Out("cnn_two0"),
                               rank1 + " " + env + " RANK=0 LOCAL_RANK=0");
  ASSERT_EQ(rank0.exit_code, 0) << rank0.output;
  std::string rc;
  for (int i = 0; i < 600 && rc.empty(); ++i) {  // rank 1 finishes with rank 0; bounded wait
    std::ifstream(Out("cnn_rank1.rc")) >> rc;
    if (rc.empty()) usleep(100'000);
  }
  EXPECT_EQ(rc, "0");
  EXPECT_LE(MaxAbsDiff(Out("cnn_one/model.safetensors"), Out("cnn_two0/model.safetensors")), 1e-5);
}

TEST_F(CliTest, BadInputsExit2WithMessage) {
  struct Case {
    std::string args;
    std::string message;
  } cases[] = {
      {"--data mnist:" + kData + "/mnist --model mlp:784-x-10",
       "jobtrainer: --model: cannot parse \"mlp:784-x-10\": \"x\" is not a layer width"},
      {"--data csv:/nonexistent/x.csv", "jobtrainer: /nonexistent/x.csv: no such file"},
      {"--data csv:" + kData + "/iris/iris.csv --model mlp:784-10",
       "jobtrainer: --model: \"mlp:784-10\" takes 784 inputs, but " + kData +
           "/iris/iris.csv has 4 features per sample"},
      {"--data idx:" + kData + "/mnist/t10k-labels-idx1-ubyte.gz," + kData +
           "/mnist/t10k-labels-idx1-ubyte.gz",
       "jobtrainer: " + kData + "/mnist/t10k-labels-idx1-ubyte.gz: wrong IDX magic 0x00000801"},
      {"--data csv:" + kData + "/iris/iris.csv --device gpu", "jobtrainer: --device: unknown"},
      {"--data csv:" + kData + "/iris/iris.csv --model mlp:4-3 --optimizer rmsprop",
       "jobtrainer: --optimizer: unknown optimizer \"rmsprop\""},
      {"--data foo", "jobtrainer: --data: cannot parse \"foo\""},
      {"--data csv:" + kData + "/iris/iris.csv --lr abc", "--lr = abc"},
  };
  for (const auto& c : cases) {
    RunResult r = RunTrainer(c.args + " --epochs 1 --outputs " + Out("out"));
    EXPECT_EQ(r.exit_code, 2) << c.args << "\n" << r.output;
    EXPECT_NE(r.output.find(c.message), std::string::npos) << c.args << "\n" << r.output;
  }
  std::ofstream(Out("bad.csv")) << "1,2,0\n1,2\n";
  RunResult r = RunTrainer("--data csv:" + Out("bad.csv") + " --outputs " + Out("out"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find(Out("bad.csv") + ":2: expected 3 columns, got 2"), std::string::npos)
      << r.output;
}

TEST_F(CliTest, DeviceCudaWithoutAUsableGpuExits2WithTheReason) {
  if (ResolveDevice("cuda").ok()) GTEST_SKIP() << "this machine has a usable GPU";
  RunResult r = RunTrainer("--data csv:" + kData + "/iris/iris.csv --model mlp:4-3 --device cuda" +
                           " --epochs 1 --outputs " + Out("out"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("jobtrainer: --device cuda: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("use --device cpu or auto"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(Out("out/model.safetensors")));
}

}  // namespace
}  // namespace jobctl::trainer
