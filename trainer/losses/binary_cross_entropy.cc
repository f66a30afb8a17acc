#include "trainer/losses/binary_cross_entropy.h"

#include <cmath>

namespace jobctl::trainer {

float BinaryCrossEntropy::Compute(const Tensor& output, const int* labels, Tensor* grad) const {
  const int features = output.features;
  grad->Resize(output.batch, features);
  const float inv_count = 1.0f / static_cast<float>(output.size());
  double total = 0.0;
  for (int n = 0; n < output.batch; ++n) {
    const float* x = output.row(n);
    float* g = grad->row(n);
    for (int j = 0; j < features; ++j) {
      const float t = DenseTarget(labels[n], j, features);
      const float v = x[j];
      total += (v > 0.0f ? v : 0.0f) - v * t + std::log1p(std::exp(-std::fabs(v)));
      const float p = 1.0f / (1.0f + std::exp(-v));
      g[j] = (p - t) * inv_count;
    }
  }
  return static_cast<float>(total / static_cast<double>(output.size()));
}

}  // namespace jobctl::trainer
