#include "trainer/losses/cross_entropy.h"

#include <cmath>

namespace jobctl::trainer {

float CrossEntropy::Compute(const Tensor& output, const int* labels, Tensor* grad) const {
  const int classes = output.features;
  grad->Resize(output.batch, classes);
  const float inv_batch = 1.0f / static_cast<float>(output.batch);
  double total = 0.0;
  for (int n = 0; n < output.batch; ++n) {
    const float* x = output.row(n);
    float* g = grad->row(n);
    float max_value = x[0];
    for (int j = 1; j < classes; ++j) max_value = x[j] > max_value ? x[j] : max_value;
    float sum = 0.0f;
    for (int j = 0; j < classes; ++j) {
      g[j] = std::exp(x[j] - max_value);
      sum += g[j];
    }
    const float log_sum = std::log(sum) + max_value;
    total += log_sum - x[labels[n]];
    const float inv_sum = 1.0f / sum;
    for (int j = 0; j < classes; ++j) g[j] = g[j] * inv_sum * inv_batch;
    g[labels[n]] -= inv_batch;
  }
  return static_cast<float>(total / output.batch);
}

}  // namespace jobctl::trainer
