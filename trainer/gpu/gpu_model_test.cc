// The GPU path against the CPU implementation: forward outputs, losses and
// every parameter gradient, each optimizer's step, a few training steps of
// the MLP and the CNN, and the GpuTrainer the training loop drives. Every
// test skips, printing why, on a machine without a usable GPU.
#include "trainer/gpu/gpu_model.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "trainer/cuda/device.h"
#include "trainer/gpu/device_array.h"
#include "trainer/gpu/gpu_optimizer.h"
#include "trainer/gpu/gpu_trainer.h"
#include "trainer/gpu/kernels.h"
#include "trainer/gpu/test_param_names.h"
#include "trainer/losses/loss.h"
#include "trainer/model/sequential.h"

namespace jobctl::trainer::gpu {
namespace {

#define SKIP_WITHOUT_GPU()                                                        \
  do {                                                                            \
    if (cuda::CudaDeviceCount() == 0) GTEST_SKIP() << cuda::NoCudaDeviceReason(); \
  } while (0)

using test_names::ParamName;
using test_names::Short;

// max |a - b| <= atol + rtol * max |b|, reporting the worst element.
void ExpectClose(const std::vector<float>& actual, const std::vector<float>& expected, double atol,
                 double rtol, const std::string& what) {
  ASSERT_EQ(actual.size(), expected.size()) << what;
  double scale = 0.0;
  for (float e : expected) scale = std::max(scale, std::fabs(static_cast<double>(e)));
  size_t worst = 0;
  double worst_diff = 0.0;
  for (size_t i = 0; i < actual.size(); ++i) {
    const double diff = std::fabs(static_cast<double>(actual[i]) - expected[i]);
    if (!(diff <= worst_diff)) {
      worst_diff = diff;
      worst = i;
    }
  }
  EXPECT_LE(worst_diff, atol + rtol * scale)
      << what << ": element " << worst << " is " << actual[worst] << ", CPU " << expected[worst]
      << " (largest CPU magnitude " << scale << ")";
}

Tensor RandomBatch(int batch, int features, uint64_t seed, bool images) {
  Pcg32 rng(seed, 7);
  Tensor t;
  t.Resize(batch, features);
  for (size_t i = 0; i < t.size(); ++i) {
    // Images: mostly zeros in [0, 1], as MNIST; otherwise standardised values.
    t.data[i] =
        images ? (rng.NextFloat() < 0.8f ? 0.0f : rng.NextFloat()) : rng.Uniform(-2.0f, 2.0f);
  }
  return t;
}

std::vector<int> RandomLabels(int batch, int classes, uint64_t seed) {
  Pcg32 rng(seed, 9);
  std::vector<int> labels(static_cast<size_t>(batch));
  for (int& l : labels) l = static_cast<int>(rng.NextBounded(static_cast<uint32_t>(classes)));
  return labels;
}

struct Built {
  std::unique_ptr<Sequential> cpu;
  std::unique_ptr<GpuModel> gpu;
};

Built Build(const std::string& text, Activation activation, float dropout, const std::string& loss,
            int max_batch, Pcg32* dropout_rng, ConvEngine engine = ConvEngine::kAuto) {
  Built b;
  auto spec = ParseModelSpec(text);
  EXPECT_TRUE(spec.ok()) << spec.status().message();
  ModelOptions options{activation, dropout};
  auto cpu = Sequential::Build(*spec, options, dropout_rng);
  EXPECT_TRUE(cpu.ok()) << cpu.status().message();
  b.cpu = std::move(cpu).value();
  Pcg32 init(42, 1);
  b.cpu->Initialize(&init);
  auto plan = BuildGpuPlan(*spec, options, b.cpu->params());
  EXPECT_TRUE(plan.ok()) << plan.status().message();
  auto kind = ParseLossKind(loss);
  EXPECT_TRUE(kind.ok());
  auto gpu = GpuModel::Create(std::move(plan).value(), *kind, max_batch, engine);
  EXPECT_TRUE(gpu.ok()) << gpu.status().message();
  b.gpu = std::move(gpu).value();
  Status uploaded = b.gpu->UploadParameters(b.cpu->params().values());
  EXPECT_TRUE(uploaded.ok()) << uploaded.message();
  return b;
}

std::vector<float> Grads(const Sequential& model) {
  return {model.params().grads(), model.params().grads() + model.params().size()};
}
std::vector<float> Values(const Sequential& model) {
  return {model.params().values(), model.params().values() + model.params().size()};
}

struct ModelCase {
  const char* spec;
  Activation activation;
  const char* loss;
  ConvEngine engine = ConvEngine::kAuto;
};

std::string Describe(const ModelCase& c) {
  static const char* const kEngines[] = {"auto", "cudnn", "im2col"};
  static const char* const kActivations[] = {"relu", "tanh", "sigmoid"};
  return std::string(c.spec) + "/" + kActivations[static_cast<int>(c.activation)] + "/" + c.loss +
         "/" + kEngines[static_cast<int>(c.engine)];
}
void PrintTo(const ModelCase& c, std::ostream* os) { *os << Describe(c); }

class GpuModelVsCpuTest : public ::testing::TestWithParam<ModelCase> {};

TEST_P(GpuModelVsCpuTest, ForwardLossAndEveryGradientMatchTheCpu) {
  SKIP_WITHOUT_GPU();
  const ModelCase& c = GetParam();
  if (c.engine == ConvEngine::kCudnn && !CudnnConv::Available()) {
    GTEST_SKIP() << "built without cuDNN";
  }
  constexpr int kBatch = 24;
  Built m = Build(c.spec, c.activation, 0.0f, c.loss, kBatch, nullptr, c.engine);
  const bool images = m.cpu->in_features() == 784;
  Tensor input = RandomBatch(kBatch, m.cpu->in_features(), 3, images);
  const int outputs = m.cpu->out_features();
  std::vector<int> labels = RandomLabels(kBatch, outputs == 1 ? 2 : outputs, 4);

  // CPU.
  auto loss = CreateLoss(c.loss);
  ASSERT_TRUE(loss.ok());
  const Tensor& cpu_out = m.cpu->Forward(input, /*training=*/true);
  std::vector<float> cpu_output(cpu_out.data.begin(), cpu_out.data.begin() + cpu_out.size());
  Tensor grad;
  const float cpu_loss = (*loss)->Compute(cpu_out, labels.data(), &grad);
  m.cpu->Backward(grad);

  // GPU.
  DeviceArray<float> x;
  DeviceArray<int> y;
  DeviceArray<double> sum;
  ASSERT_TRUE(x.AssignFromHost(input.data.data(), input.size()).ok());
  ASSERT_TRUE(y.AssignFromHost(labels.data(), labels.size()).ok());
  ASSERT_TRUE(sum.Allocate(1).ok());
  auto out = m.gpu->Forward(x.get(), kBatch, /*training=*/true, nullptr);
  ASSERT_TRUE(out.ok()) << out.status().message();
  auto gpu_output = m.gpu->DownloadOutput();
  ASSERT_TRUE(gpu_output.ok()) << gpu_output.status().message();
  ExpectClose(*gpu_output, cpu_output, 1e-5, 1e-4, "forward output");
  ASSERT_TRUE(m.gpu->Loss(y.get(), sum.get(), false).ok());
  double gpu_sum = 0.0;
  ASSERT_TRUE(sum.CopyToHost(&gpu_sum, 1).ok());
  EXPECT_NEAR(gpu_sum / m.gpu->LossDivisor(kBatch), cpu_loss, 1e-5 + 1e-5 * std::fabs(cpu_loss));
  Status backward = m.gpu->Backward();
  ASSERT_TRUE(backward.ok()) << backward.message();
  std::vector<float> gpu_grads(m.gpu->parameter_count());
  ASSERT_TRUE(m.gpu->DownloadGradients(gpu_grads.data()).ok());
  // Parameter by parameter, so a failure names the layer.
  std::vector<float> cpu_grads = Grads(*m.cpu);
  for (const ParameterInfo& p : m.cpu->params().parameters()) {
    std::vector<float> a(gpu_grads.begin() + p.offset, gpu_grads.begin() + p.offset + p.count);
    std::vector<float> e(cpu_grads.begin() + p.offset, cpu_grads.begin() + p.offset + p.count);
    ExpectClose(a, e, 1e-6, 1e-4, "gradient of " + p.name);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Models, GpuModelVsCpuTest,
    ::testing::Values(ModelCase{"mlp:784-64-32-10", Activation::kRelu, "cross_entropy"},
                      ModelCase{"mlp:20-16-16-5", Activation::kTanh, "binary_cross_entropy"},
                      ModelCase{"mlp:20-16-5", Activation::kSigmoid, "mse"},
                      ModelCase{"mlp:20-8-1", Activation::kRelu, "binary_cross_entropy"},
                      ModelCase{"mlp:20-8-1", Activation::kTanh, "mse"},
                      ModelCase{"logreg:784-10", Activation::kRelu, "cross_entropy"},
                      ModelCase{"cnn", Activation::kRelu, "cross_entropy", ConvEngine::kIm2col},
                      ModelCase{"cnn", Activation::kRelu, "cross_entropy", ConvEngine::kCudnn},
                      ModelCase{"cnn", Activation::kRelu, "mse", ConvEngine::kIm2col},
                      ModelCase{"cnn", Activation::kRelu, "mse", ConvEngine::kCudnn}),
    [](const auto& info) { return ParamName(Describe(info.param), info.index); });

TEST(GpuKernelsTest, DropoutZeroesAboutPAndScalesTheRest) {
  SKIP_WITHOUT_GPU();
  constexpr size_t kCount = 100000;
  constexpr float kP = 0.3f;
  std::vector<float> ones(kCount, 1.0f);
  DeviceArray<float> x, y, mask;
  ASSERT_TRUE(x.AssignFromHost(ones.data(), kCount).ok());
  ASSERT_TRUE(y.Allocate(kCount).ok());
  ASSERT_TRUE(mask.Allocate(kCount).ok());
  auto run = [&](uint64_t key) {
    EXPECT_EQ(kernels::DropoutForward(x.get(), y.get(), mask.get(), kCount, kP, key, nullptr),
              cudaSuccess);
    std::vector<float> out(kCount);
    EXPECT_TRUE(y.CopyToHost(out.data(), kCount).ok());
    return out;
  };
  std::vector<float> a = run(12345);
  size_t zeros = 0;
  for (float v : a) {
    if (v == 0.0f) {
      ++zeros;
    } else {
      EXPECT_FLOAT_EQ(v, 1.0f / (1.0f - kP));
    }
  }
  // Binomial(100000, 0.3): sd 145; 6 sd either way.
  EXPECT_NEAR(static_cast<double>(zeros), kP * kCount, 900.0);
  EXPECT_EQ(run(12345), a);  // same key, same mask
  EXPECT_NE(run(12346), a);
}

TEST(GpuKernelsTest, DropoutIsTheIdentityInEvaluation) {
  SKIP_WITHOUT_GPU();
  Pcg32 rng(5, 2);
  Built m = Build("mlp:20-16-16-5", Activation::kRelu, 0.5f, "cross_entropy", 8, &rng);
  Tensor input = RandomBatch(8, 20, 11, false);
  const Tensor& cpu_out = m.cpu->Forward(input, /*training=*/false);
  std::vector<float> expected(cpu_out.data.begin(), cpu_out.data.begin() + cpu_out.size());
  DeviceArray<float> x;
  ASSERT_TRUE(x.AssignFromHost(input.data.data(), input.size()).ok());
  ASSERT_TRUE(m.gpu->Forward(x.get(), 8, /*training=*/false, &rng).ok());
  auto out = m.gpu->DownloadOutput();
  ASSERT_TRUE(out.ok());
  ExpectClose(*out, expected, 1e-5, 1e-4, "evaluation output");
}

struct OptimizerCase {
  const char* name;
  float momentum;
  float dampening;
  bool nesterov;
  float weight_decay;
};

std::string Describe(const OptimizerCase& c) {
  return std::string(c.name) + "/momentum=" + Short(c.momentum) +
         "/dampening=" + Short(c.dampening) + (c.nesterov ? "/nesterov" : "") +
         "/weight_decay=" + Short(c.weight_decay);
}
void PrintTo(const OptimizerCase& c, std::ostream* os) { *os << Describe(c); }

class GpuOptimizerVsCpuTest : public ::testing::TestWithParam<OptimizerCase> {};

TEST_P(GpuOptimizerVsCpuTest, ThreeStepsMatchTheCpu) {
  SKIP_WITHOUT_GPU();
  const OptimizerCase& c = GetParam();
  OptimizerConfig config;
  config.name = c.name;
  config.momentum = c.momentum;
  config.dampening = c.dampening;
  config.nesterov = c.nesterov;
  config.weight_decay = c.weight_decay;
  constexpr size_t kCount = 1237;
  auto cpu = CreateOptimizer(config, kCount);
  ASSERT_TRUE(cpu.ok()) << cpu.status().message();
  auto mirror = CreateOptimizer(config, kCount);
  ASSERT_TRUE(mirror.ok());
  auto gpu = GpuOptimizer::Create(config, mirror->get());
  ASSERT_TRUE(gpu.ok()) << gpu.status().message();

  Pcg32 rng(8, 3);
  std::vector<float> params(kCount);
  for (float& p : params) p = rng.Uniform(-1.0f, 1.0f);
  DeviceArray<float> d_params, d_grads;
  ASSERT_TRUE(d_params.AssignFromHost(params.data(), kCount).ok());
  ASSERT_TRUE(d_grads.Allocate(kCount).ok());
  std::vector<float> grads(kCount);
  for (int step = 0; step < 3; ++step) {
    for (float& g : grads) g = rng.Uniform(-0.5f, 0.5f);
    (*cpu)->Step(params.data(), grads.data(), kCount);
    ASSERT_TRUE(d_grads.CopyFromHost(grads.data(), kCount).ok());
    Status stepped = (*gpu)->Step(d_params.get(), d_grads.get(), kCount);
    ASSERT_TRUE(stepped.ok()) << stepped.message();
  }
  std::vector<float> gpu_params(kCount);
  ASSERT_TRUE(d_params.CopyToHost(gpu_params.data(), kCount).ok());
  ExpectClose(gpu_params, params, 1e-6, 1e-5, std::string(c.name) + " parameters");
  ASSERT_TRUE((*gpu)->Download(mirror->get()).ok());
  EXPECT_EQ((*mirror)->steps(), (*cpu)->steps());
  auto expected_state = (*cpu)->StateBuffers();
  auto actual_state = (*mirror)->StateBuffers();
  ASSERT_EQ(actual_state.size(), expected_state.size());
  for (size_t i = 0; i < expected_state.size(); ++i) {
    ExpectClose(*actual_state[i].second, *expected_state[i].second, 1e-6, 1e-5,
                "state " + expected_state[i].first);
  }
}

INSTANTIATE_TEST_SUITE_P(Optimizers, GpuOptimizerVsCpuTest,
                         ::testing::Values(OptimizerCase{"sgd", 0.0f, 0.0f, false, 0.0f},
                                           OptimizerCase{"sgd", 0.9f, 0.1f, false, 0.01f},
                                           OptimizerCase{"sgd", 0.9f, 0.0f, true, 0.0f},
                                           OptimizerCase{"adam", 0.0f, 0.0f, false, 0.0f},
                                           OptimizerCase{"adam", 0.0f, 0.0f, false, 0.05f},
                                           OptimizerCase{"adadelta", 0.0f, 0.0f, false, 0.0f},
                                           OptimizerCase{"adadelta", 0.0f, 0.0f, false, 0.01f}),
                         [](const auto& info) {
                           return ParamName(Describe(info.param), info.index);
                         });

// A small data set of `count` random samples for the training tests.
Dataset RandomDataset(int count, int features, int classes, uint64_t seed) {
  Dataset d;
  d.count = count;
  d.features = features;
  Tensor x = RandomBatch(count, features, seed, features == 784);
  d.x.assign(x.data.begin(), x.data.begin() + x.size());
  d.y = RandomLabels(count, classes, seed + 1);
  d.source = "random";
  return d;
}

class GpuTrainingVsCpuTest : public ::testing::TestWithParam<const char*> {};

// Five SGD steps with momentum through GpuTrainer (the training loop's GPU
// path) and through the CPU model: the same weights, validation loss and
// accuracy. (SGD, not Adam: Adam's first steps move every weight by about
// lr whatever its gradient's size, so rounding-level gradients that differ
// in sign between the two would differ by 2 lr; the optimizer test covers
// Adam's kernel.)
TEST_P(GpuTrainingVsCpuTest, FiveStepsOfTheTrainerMatchTheCpu) {
  SKIP_WITHOUT_GPU();
  const std::string text = GetParam();
  auto spec = ParseModelSpec(text);
  ASSERT_TRUE(spec.ok());
  constexpr int kBatch = 16;
  Dataset train = RandomDataset(5 * kBatch, spec->input_features(), 10, 21);
  Dataset val = RandomDataset(300, spec->input_features(), 10, 22);
  OptimizerConfig sgd;
  sgd.name = "sgd";
  sgd.lr = 0.05f;
  sgd.momentum = 0.9f;

  Pcg32 cpu_dropout(1, 2);
  auto cpu = Sequential::Build(*spec, {}, &cpu_dropout);
  ASSERT_TRUE(cpu.ok());
  Pcg32 init(7, 1);
  (*cpu)->Initialize(&init);
  std::vector<float> initial = Values(**cpu);
  auto cpu_opt = CreateOptimizer(sgd, (*cpu)->params().size());
  ASSERT_TRUE(cpu_opt.ok());

  // The GPU side's host copies start from the same weights.
  Pcg32 gpu_dropout(1, 2);
  auto host = Sequential::Build(*spec, {}, &gpu_dropout);
  ASSERT_TRUE(host.ok());
  std::copy(initial.begin(), initial.end(), (*host)->params().values());
  auto host_opt = CreateOptimizer(sgd, (*host)->params().size());
  ASSERT_TRUE(host_opt.ok());
  GpuTrainerConfig config{*spec, {}, sgd, "cross_entropy", kBatch};
  auto gpu = GpuTrainer::Create(config, **host, host_opt->get(), train, val, &gpu_dropout);
  ASSERT_TRUE(gpu.ok()) << gpu.status().message();
  ASSERT_TRUE((*gpu)->Upload(**host, host_opt->get()).ok());
  auto comm = CreateLocalCommunicator();

  auto loss = CreateLoss("cross_entropy");
  ASSERT_TRUE(loss.ok());
  Tensor batch, grad;
  std::vector<int> labels;
  for (int step = 0; step < 5; ++step) {
    std::vector<int> indices(kBatch);
    for (int i = 0; i < kBatch; ++i)
      indices[static_cast<size_t>(i)] = (i * 7 + step * 3) % train.count;
    GatherBatch(train, indices.data(), kBatch, &batch, &labels);
    const float cpu_loss = (*loss)->Compute((*cpu)->Forward(batch, true), labels.data(), &grad);
    (*cpu)->Backward(grad);
    (*cpu_opt)->Step((*cpu)->params().values(), (*cpu)->params().grads(), (*cpu)->params().size());
    auto gpu_loss = (*gpu)->ForwardLoss(indices.data(), kBatch);
    ASSERT_TRUE(gpu_loss.ok()) << gpu_loss.status().message();
    EXPECT_NEAR(*gpu_loss, cpu_loss, 1e-4 * (1.0 + std::fabs(cpu_loss))) << "step " << step;
    Status stepped = (*gpu)->BackwardAndStep(comm.get());
    ASSERT_TRUE(stepped.ok()) << stepped.message();
  }
  ASSERT_TRUE((*gpu)->Download(host->get(), host_opt->get()).ok());
  EXPECT_EQ((*host_opt)->steps(), 5);
  ExpectClose(Values(**host), Values(**cpu), 1e-5, 1e-3, text + " weights after 5 steps");

  EvalResult cpu_eval = Evaluate(cpu->get(), **loss, val, 0, 256, 0.5f);
  auto gpu_eval = (*gpu)->Evaluate(0.5f);
  ASSERT_TRUE(gpu_eval.ok()) << gpu_eval.status().message();
  EXPECT_EQ(gpu_eval->count, cpu_eval.count);
  EXPECT_NEAR(gpu_eval->loss(), cpu_eval.loss(), 1e-3 * (1.0 + cpu_eval.loss()));
  EXPECT_NEAR(gpu_eval->correct, cpu_eval.correct, 2);  // near-ties may flip
}

INSTANTIATE_TEST_SUITE_P(Models, GpuTrainingVsCpuTest,
                         ::testing::Values("mlp:784-128-64-10", "cnn"),
                         [](const auto& info) { return ParamName(info.param, info.index); });

TEST(HostStagingCommunicatorTest, PassesHostValuesThroughTheDevice) {
  SKIP_WITHOUT_GPU();
  auto device_comm = CreateLocalCommunicator(MemoryKind::kDevice);
  auto staged = MakeHostStagingCommunicator(device_comm.get());
  ASSERT_TRUE(staged.ok()) << staged.status().message();
  EXPECT_EQ((*staged)->memory_kind(), MemoryKind::kHost);
  std::vector<float> values = {1.0f, -2.5f, 3.0f};
  ASSERT_TRUE((*staged)->AllReduceAverage(values.data(), values.size()).ok());
  EXPECT_EQ(values, (std::vector<float>{1.0f, -2.5f, 3.0f}));
  ASSERT_TRUE((*staged)->Broadcast(values.data(), values.size(), 0).ok());
  EXPECT_EQ(values, (std::vector<float>{1.0f, -2.5f, 3.0f}));
}

}  // namespace
}  // namespace jobctl::trainer::gpu
