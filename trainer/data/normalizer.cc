#include "trainer/data/normalizer.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace jobctl::trainer {

std::string_view DefaultNormalization(const Dataset& data) {
  return data.is_image ? "scale" : "standard";
}

Result<Normalizer> Normalizer::Fit(const Dataset& train, std::string_view mode) {
  const size_t f = static_cast<size_t>(train.features);
  Normalizer norm;
  norm.offset.assign(f, 0.0f);
  norm.scale.assign(f, 1.0f);
  if (mode == "none") return norm;
  if (mode == "scale") {
    if (train.is_image) {
      std::fill(norm.scale.begin(), norm.scale.end(), 1.0f / 255.0f);
      return norm;
    }
    std::vector<float> lo(f, std::numeric_limits<float>::max());
    std::vector<float> hi(f, std::numeric_limits<float>::lowest());
    for (int n = 0; n < train.count; ++n) {
      const float* row = train.x.data() + static_cast<size_t>(n) * f;
      for (size_t j = 0; j < f; ++j) {
        lo[j] = std::min(lo[j], row[j]);
        hi[j] = std::max(hi[j], row[j]);
      }
    }
    for (size_t j = 0; j < f; ++j) {
      norm.offset[j] = lo[j];
      norm.scale[j] = hi[j] > lo[j] ? 1.0f / (hi[j] - lo[j]) : 1.0f;
    }
    return norm;
  }
  if (mode == "standard") {
    std::vector<double> sum(f, 0.0);
    std::vector<double> sum_sq(f, 0.0);
    for (int n = 0; n < train.count; ++n) {
      const float* row = train.x.data() + static_cast<size_t>(n) * f;
      for (size_t j = 0; j < f; ++j) {
        sum[j] += row[j];
        sum_sq[j] += static_cast<double>(row[j]) * row[j];
      }
    }
    for (size_t j = 0; j < f; ++j) {
      double mean = sum[j] / train.count;
      double var = std::max(0.0, sum_sq[j] / train.count - mean * mean);
      double sd = std::sqrt(var);
      norm.offset[j] = static_cast<float>(mean);
      norm.scale[j] = sd > 1e-12 ? static_cast<float>(1.0 / sd) : 1.0f;
    }
    return norm;
  }
  return InvalidArgumentError("--normalize: unknown mode \"" + std::string(mode) +
                              "\" (expected scale, standard or none)");
}

void Normalizer::Apply(Dataset* data) const {
  const size_t f = offset.size();
  for (int n = 0; n < data->count; ++n) {
    float* row = data->x.data() + static_cast<size_t>(n) * f;
    for (size_t j = 0; j < f; ++j) row[j] = (row[j] - offset[j]) * scale[j];
  }
}

}  // namespace jobctl::trainer
