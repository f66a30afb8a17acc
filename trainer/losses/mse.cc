#include "trainer/losses/mse.h"

namespace jobctl::trainer {

float MeanSquaredError::Compute(const Tensor& output, const int* labels, Tensor* grad) const {
  const int features = output.features;
  grad->Resize(output.batch, features);
  const float scale = 2.0f / static_cast<float>(output.size());
  double total = 0.0;
  for (int n = 0; n < output.batch; ++n) {
    const float* x = output.row(n);
    float* g = grad->row(n);
    for (int j = 0; j < features; ++j) {
      const float diff = x[j] - DenseTarget(labels[n], j, features);
      total += static_cast<double>(diff) * diff;
      g[j] = diff * scale;
    }
  }
  return static_cast<float>(total / static_cast<double>(output.size()));
}

}  // namespace jobctl::trainer
