// The CPU kernels behind the layers: the compute thread pool, sparse x dense
// products, the sparse path of Linear, 2x2 max pooling ties, the transposed
// storage of Linear weights in files, and results that do not depend on the
// thread count.
#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>

#include "trainer/checkpoint/safetensors.h"
#include "trainer/checkpoint/training_checkpoint.h"
#include "trainer/layers/conv2d.h"
#include "trainer/layers/linear.h"
#include "trainer/layers/max_pool2d.h"
#include "trainer/layers/relu.h"
#include "trainer/model/model_spec.h"
#include "trainer/model/sequential.h"
#include "trainer/tensor/sparse_matrix.h"
#include "trainer/tensor/thread_pool.h"

namespace jobctl::trainer {
namespace {

// Values in [-1, 1) with about `density` of them nonzero.
std::vector<float> SparseValues(size_t count, double density, Pcg32* rng) {
  std::vector<float> v(count);
  for (float& x : v) x = rng->NextFloat() < density ? rng->Uniform(-1.0f, 1.0f) : 0.0f;
  return v;
}

// Restores a one-thread compute pool when a test ends.
class ComputeThreads {
 public:
  explicit ComputeThreads(int threads) { SetComputeThreads(threads); }
  ~ComputeThreads() { SetComputeThreads(1); }
};

TEST(ThreadPoolTest, RunCallsEveryIndexOnce) {
  ThreadPool pool(3);
  ASSERT_EQ(pool.size(), 3);
  for (int round = 0; round < 2000; ++round) {
    std::vector<std::atomic<int>> calls(3);
    pool.Run([&](int index, int count) {
      EXPECT_EQ(count, 3);
      calls[index].fetch_add(1);
    });
    for (auto& c : calls) ASSERT_EQ(c.load(), 1);
  }
}

TEST(ThreadPoolTest, NestedRunRunsInlineInOrder) {
  ThreadPool pool(2);
  std::atomic<int> inner_calls{0};
  pool.Run([&](int, int) {
    std::vector<int> seen;
    pool.Run([&](int index, int) { seen.push_back(index); });
    EXPECT_EQ(seen, (std::vector<int>{0, 1}));
    inner_calls.fetch_add(static_cast<int>(seen.size()));
  });
  EXPECT_EQ(inner_calls.load(), 4);
}

TEST(ThreadPoolTest, ParallelForCoversTheRangeOnceWithAlignedCuts) {
  ComputeThreads threads(3);
  for (int64_t total : {1, 15, 16, 17, 100, 1000}) {
    std::vector<std::atomic<int>> hits(static_cast<size_t>(total));
    ParallelFor(total, 16, 1, [&](int64_t begin, int64_t end) {
      EXPECT_TRUE(begin % 16 == 0) << begin;
      EXPECT_TRUE(end % 16 == 0 || end == total) << end;
      for (int64_t i = begin; i < end; ++i) hits[static_cast<size_t>(i)].fetch_add(1);
    });
    for (auto& h : hits) ASSERT_EQ(h.load(), 1) << "total " << total;
  }
}

// With exactly as many threads as CPUs the process may use, every thread
// (the caller included) is bound to its own CPU.
TEST(ThreadPoolTest, OwningExactlyItsCpusBindsOneThreadPerCpu) {
  cpu_set_t original;
  CPU_ZERO(&original);
  ASSERT_EQ(sched_getaffinity(0, sizeof(original), &original), 0);
  const int cpus = CPU_COUNT(&original);
  if (cpus < 2) GTEST_SKIP() << "needs at least 2 CPUs, this process has " << cpus;
  {
    ComputeThreads threads(cpus);
    std::mutex mutex;
    std::vector<int> bound_cpus;
    // Enough rounds that every pool thread claims some index.
    for (int round = 0; round < 200; ++round) {
      ComputePool().Run([&](int, int) {
        cpu_set_t set;
        CPU_ZERO(&set);
        pthread_getaffinity_np(pthread_self(), sizeof(set), &set);
        std::lock_guard<std::mutex> lock(mutex);
        for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
          if (CPU_ISSET(cpu, &set)) bound_cpus.push_back(CPU_COUNT(&set) == 1 ? cpu : -1);
        }
      });
    }
    for (int cpu : bound_cpus) ASSERT_GE(cpu, 0) << "a pool thread may run on several CPUs";
    std::sort(bound_cpus.begin(), bound_cpus.end());
    bound_cpus.erase(std::unique(bound_cpus.begin(), bound_cpus.end()), bound_cpus.end());
    EXPECT_GE(bound_cpus.size(), 1u);
    for (int cpu : bound_cpus) EXPECT_TRUE(CPU_ISSET(cpu, &original)) << cpu;
  }
  ASSERT_EQ(sched_setaffinity(0, sizeof(original), &original), 0);
}

TEST(SparseMatrixTest, ProductsEqualDenseLoops) {
  Pcg32 rng(11, 1);
  const int m = 5;
  const int k = 300;
  const int n = 300;  // 256 + 16 + a masked tail
  std::vector<float> a = SparseValues(static_cast<size_t>(m) * k, 0.2, &rng);
  std::vector<float> b = SparseValues(static_cast<size_t>(k) * n, 1.0, &rng);
  std::vector<float> bias = SparseValues(n, 1.0, &rng);
  SparseRows rows;
  rows.FromDense(a.data(), m, k, k);
  int64_t nonzeros = 0;
  for (float x : a) nonzeros += x != 0.0f ? 1 : 0;
  EXPECT_EQ(rows.nonzeros(), nonzeros);
  for (auto [begin, end] : {std::pair{0, n}, std::pair{16, 289}, std::pair{3, 7}}) {
    std::vector<float> c(static_cast<size_t>(m) * n, -7.0f);
    SparseTimesDense(rows, b.data(), n, bias.data(), c.data(), n, begin, end);
    for (int r = 0; r < m; ++r) {
      for (int j = 0; j < n; ++j) {
        const float got = c[static_cast<size_t>(r) * n + j];
        if (j < begin || j >= end) {
          ASSERT_EQ(got, -7.0f) << "column " << j << " outside the range was written";
          continue;
        }
        double want = bias[j];
        for (int i = 0; i < k; ++i) want += static_cast<double>(a[r * k + i]) * b[i * n + j];
        ASSERT_NEAR(got, want, 1e-4) << r << "," << j;
      }
    }
  }
  // A^T * B' with B' [m x n]: the weight-gradient form.
  SparseRows columns;
  columns.FromDenseTransposed(a.data(), m, k, k);
  ASSERT_EQ(columns.rows, k);
  SparseRows transposed;
  transposed.TransposeOf(rows);
  EXPECT_EQ(transposed.rows, columns.rows);
  EXPECT_EQ(transposed.cols, columns.cols);
  EXPECT_EQ(transposed.row_start, columns.row_start);
  EXPECT_EQ(transposed.column, columns.column);
  EXPECT_EQ(transposed.value, columns.value);
  std::vector<float> b2 = SparseValues(static_cast<size_t>(m) * n, 1.0, &rng);
  std::vector<float> c(static_cast<size_t>(k) * n);
  SparseTimesDense(columns, b2.data(), n, nullptr, c.data(), n, 0, n);
  for (int i = 0; i < k; ++i) {
    for (int j = 0; j < n; ++j) {
      double want = 0.0;
      for (int r = 0; r < m; ++r) want += static_cast<double>(a[r * k + i]) * b2[r * n + j];
      ASSERT_NEAR(c[static_cast<size_t>(i) * n + j], want, 1e-4) << i << "," << j;
    }
  }
}

// Forward and weight gradient of a Linear layer fed mostly zeros (the sparse
// path) against loops over W in PyTorch's [out, in] layout.
TEST(LinearSparseTest, SparseInputMatchesDenseLoops) {
  const int in = 200;
  const int out = 70;
  const int batch = 6;
  ParameterBuffer params;
  Linear layer(in, out, "layers.0", &params);
  params.Finalize();
  Pcg32 rng(12, 1);
  layer.Initialize(&rng);
  const ParameterInfo& wp = params.parameters()[0];
  ASSERT_TRUE(wp.transposed);
  std::vector<float> w(wp.count);
  CopyToStandardLayout(wp, params.values(), w.data());
  const float* b = params.values() + params.parameters()[1].offset;

  Tensor x;
  x.Resize(batch, in);
  std::vector<float> values = SparseValues(x.size(), 0.2, &rng);
  std::copy(values.begin(), values.end(), x.data.begin());
  Tensor y;
  layer.Forward(x, &y, /*training=*/true);
  for (int n = 0; n < batch; ++n) {
    for (int o = 0; o < out; ++o) {
      double want = b[o];
      for (int i = 0; i < in; ++i) want += static_cast<double>(w[o * in + i]) * x.row(n)[i];
      ASSERT_NEAR(y.row(n)[o], want, 1e-5) << n << "," << o;
    }
  }
  Tensor dy;
  dy.Resize(batch, out);
  for (size_t i = 0; i < dy.size(); ++i) dy.data[i] = rng.Uniform(-1.0f, 1.0f);
  layer.Backward(x, y, dy, nullptr);
  std::vector<float> dw(wp.count);
  CopyToStandardLayout(wp, params.grads(), dw.data());
  for (int o = 0; o < out; ++o) {
    for (int i = 0; i < in; ++i) {
      double want = 0.0;
      for (int n = 0; n < batch; ++n) want += static_cast<double>(dy.row(n)[o]) * x.row(n)[i];
      ASSERT_NEAR(dw[o * in + i], want, 1e-5) << o << "," << i;
    }
  }
}

TEST(MaxPoolTest, TiesGoToTheFirstElementInScanOrder) {
  for (int window : {2, 3}) {
    MaxPool2d layer(1, window, window, window);
    Tensor x;
    x.Resize(1, window * window);
    std::fill(x.data.begin(), x.data.end(), 0.5f);
    x.data[static_cast<size_t>(window * window - 1)] = 0.25f;
    Tensor y;
    layer.Forward(x, &y, false);
    ASSERT_EQ(y.data[0], 0.5f);
    Tensor g;
    g.Resize(1, 1);
    g.data[0] = 3.0f;
    Tensor dx;
    layer.Backward(x, y, g, &dx);
    for (int i = 0; i < window * window; ++i) {
      EXPECT_EQ(dx.data[static_cast<size_t>(i)], i == 0 ? 3.0f : 0.0f) << "window " << window;
    }
  }
}

TEST(MaxPoolTest, OddSizesLeaveTheUncoveredBorderAtZeroGradient) {
  MaxPool2d layer(2, 5, 5, 2);
  Pcg32 rng(13, 1);
  Tensor x;
  x.Resize(3, layer.in_features());
  for (float& v : x.data) v = rng.Uniform(-1.0f, 1.0f);
  Tensor y;
  layer.Forward(x, &y, false);
  Tensor g;
  g.Resize(3, layer.out_features());
  std::fill(g.data.begin(), g.data.begin() + static_cast<long>(g.size()), 1.0f);
  Tensor dx;
  dx.Resize(3, layer.in_features());
  std::fill(dx.data.begin(), dx.data.end(), 9.0f);  // stale values must not survive
  layer.Backward(x, y, g, &dx);
  for (int n = 0; n < 3; ++n) {
    for (int c = 0; c < 2; ++c) {
      for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(dx.row(n)[c * 25 + 4 * 5 + i], 0.0f);  // last row
        EXPECT_EQ(dx.row(n)[c * 25 + i * 5 + 4], 0.0f);  // last column
      }
      double sum = 0.0;
      for (int i = 0; i < 25; ++i) sum += dx.row(n)[c * 25 + i];
      EXPECT_EQ(sum, 4.0);
    }
  }
}

// The CNN runs MaxPool before ReLU: the same outputs and input gradients as
// PyTorch's ReLU then MaxPool, ties and all-negative windows included.
TEST(MaxPoolTest, CommutesWithReLU) {
  const int channels = 3;
  const int size = 6;
  MaxPool2d pool(channels, size, size, 2);
  ReLU relu_before(channels * size * size);
  ReLU relu_after(pool.out_features());
  Pcg32 rng(16, 1);
  Tensor x;
  x.Resize(4, pool.in_features());
  // Coarse values so ties happen; about half negative.
  for (float& v : x.data) v = static_cast<float>(static_cast<int>(rng.NextBounded(7)) - 3) * 0.5f;
  Tensor g;
  g.Resize(4, pool.out_features());
  for (float& v : g.data) v = rng.Uniform(-1.0f, 1.0f);

  Tensor r1;
  Tensor y1;
  relu_before.Forward(x, &r1, false);
  pool.Forward(r1, &y1, false);
  Tensor dr1;
  Tensor dx1;
  pool.Backward(r1, y1, g, &dr1);
  relu_before.Backward(x, r1, dr1, &dx1);

  Tensor p2;
  Tensor y2;
  pool.Forward(x, &p2, false);
  relu_after.Forward(p2, &y2, false);
  Tensor dp2;
  Tensor dx2;
  relu_after.Backward(p2, y2, g, &dp2);
  pool.Backward(x, p2, dp2, &dx2);

  for (size_t i = 0; i < y1.size(); ++i) ASSERT_EQ(y1.data[i], y2.data[i]) << i;
  for (size_t i = 0; i < x.size(); ++i) ASSERT_EQ(dx1.data[i], dx2.data[i]) << i;
}

// model.safetensors holds layers.N.weight as [out, in] whatever the layout in
// memory: a forward pass with the file's weights gives the model's output.
TEST(LinearSparseTest, SavedWeightsArePyTorchLayout) {
  Result<ModelSpec> spec = ParseModelSpec("mlp:6-5-3");
  ASSERT_TRUE(spec.ok());
  Pcg32 dropout_rng(1, 2);
  auto model = Sequential::Build(*spec, {}, &dropout_rng);
  ASSERT_TRUE(model.ok());
  Pcg32 rng(14, 1);
  (*model)->Initialize(&rng);
  const std::string path =
      (std::filesystem::path(::testing::TempDir()) / "kernels_test_model.safetensors").string();
  ASSERT_TRUE(SaveModel(path, **model, {}).ok());
  auto file = ReadSafetensors(path);
  ASSERT_TRUE(file.ok());
  const StoredTensor& w0 = file->tensors.at("layers.0.weight");
  ASSERT_EQ(w0.shape, (std::vector<int64_t>{5, 6}));
  const StoredTensor& b0 = file->tensors.at("layers.0.bias");
  Tensor x;
  x.Resize(1, 6);
  for (float& v : x.data) v = rng.Uniform(-1.0f, 1.0f);
  Tensor y0;
  (*model)->layers()[0]->Forward(x, &y0, false);
  for (int o = 0; o < 5; ++o) {
    double want = b0.data[o];
    for (int i = 0; i < 6; ++i) want += static_cast<double>(w0.data[o * 6 + i]) * x.data[i];
    EXPECT_NEAR(y0.data[o], want, 1e-6);
  }
  // Loading the file back gives the same parameters.
  auto again = Sequential::Build(*spec, {}, &dropout_rng);
  ASSERT_TRUE(again.ok());
  ASSERT_TRUE(LoadParameters(*file, path, again->get()).ok());
  for (size_t i = 0; i < (*model)->params().size(); ++i) {
    ASSERT_EQ((*again)->params().values()[i], (*model)->params().values()[i]) << i;
  }
  std::filesystem::remove(path);
}

// One CNN step's gradients with 1 and 3 compute threads.
TEST(ThreadCountTest, CnnGradientsDoNotDependOnThreads) {
  Result<ModelSpec> spec = ParseModelSpec("cnn");
  ASSERT_TRUE(spec.ok());
  auto gradients = [&](int threads) {
    ComputeThreads scope(threads);
    Pcg32 dropout_rng(1, 2);
    auto model = Sequential::Build(*spec, {}, &dropout_rng);
    EXPECT_TRUE(model.ok());
    Pcg32 rng(15, 1);
    (*model)->Initialize(&rng);
    Tensor x;
    x.Resize(20, 784);
    std::vector<float> values = SparseValues(x.size(), 0.2, &rng);
    for (float& v : values) v = std::fabs(v);
    std::copy(values.begin(), values.end(), x.data.begin());
    const Tensor& y = (*model)->Forward(x, true);
    Tensor dy;
    dy.Resize(y.batch, y.features);
    for (size_t i = 0; i < dy.size(); ++i) dy.data[i] = rng.Uniform(-1.0f, 1.0f);
    (*model)->Backward(dy);
    const ParameterBuffer& p = (*model)->params();
    return std::vector<float>(p.grads(), p.grads() + p.size());
  };
  std::vector<float> one = gradients(1);
  std::vector<float> three = gradients(3);
  ASSERT_EQ(one.size(), three.size());
  for (size_t i = 0; i < one.size(); ++i) {
    ASSERT_NEAR(one[i], three[i], 1e-6 * (1.0 + std::fabs(one[i]))) << i;
  }
}

}  // namespace
}  // namespace jobctl::trainer
