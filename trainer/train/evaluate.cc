#include "trainer/train/evaluate.h"

#include <algorithm>
#include <numeric>

#include "trainer/tensor/thread_pool.h"

namespace jobctl::trainer {

namespace {

// Rows per thread below which GatherBatch copies on the caller alone.
constexpr int64_t kMinRowsPerThread = 16;

}  // namespace

void GatherBatch(const Dataset& data, const int* indices, int n, Tensor* batch,
                 std::vector<int>* labels) {
  batch->Resize(n, data.features);
  labels->resize(static_cast<size_t>(n));
  // Rows scattered over the data set (25 MB for MNIST's 8k): split across
  // the pool, so the rows' cache misses overlap.
  ParallelFor(n, 8, kMinRowsPerThread, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const float* src = data.x.data() + static_cast<size_t>(indices[i]) * data.features;
      std::copy(src, src + data.features, batch->row(static_cast<int>(i)));
      (*labels)[static_cast<size_t>(i)] = data.y[static_cast<size_t>(indices[i])];
    }
  });
}

int CountCorrect(const Tensor& output, const int* labels, float threshold) {
  int correct = 0;
  for (int n = 0; n < output.batch; ++n) {
    const float* row = output.row(n);
    int prediction = 0;
    if (output.features == 1) {
      prediction = row[0] > threshold ? 1 : 0;
    } else {
      prediction = static_cast<int>(std::max_element(row, row + output.features) - row);
    }
    correct += prediction == labels[n] ? 1 : 0;
  }
  return correct;
}

EvalResult Evaluate(Sequential* model, const Loss& loss, const Dataset& data, int begin,
                    int batch_size, float threshold) {
  EvalResult result;
  std::vector<int> indices(static_cast<size_t>(std::max(0, data.count - begin)));
  std::iota(indices.begin(), indices.end(), begin);
  Tensor batch;
  Tensor grad;
  std::vector<int> labels;
  for (size_t start = 0; start < indices.size(); start += static_cast<size_t>(batch_size)) {
    int n = static_cast<int>(std::min(indices.size() - start, static_cast<size_t>(batch_size)));
    GatherBatch(data, indices.data() + start, n, &batch, &labels);
    const Tensor& output = model->Forward(batch, /*training=*/false);
    result.loss_sum += static_cast<double>(loss.Compute(output, labels.data(), &grad)) * n;
    result.correct += CountCorrect(output, labels.data(), threshold);
    result.count += n;
  }
  return result;
}

}  // namespace jobctl::trainer
