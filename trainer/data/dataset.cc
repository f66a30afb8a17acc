#include "trainer/data/dataset.h"

#include <algorithm>
#include <numeric>

namespace jobctl::trainer {

int Dataset::num_classes() const {
  int max_label = -1;
  for (int label : y) max_label = std::max(max_label, label);
  return max_label + 1;
}

Dataset Subset(const Dataset& data, const std::vector<int>& indices) {
  Dataset out;
  out.count = static_cast<int>(indices.size());
  out.features = data.features;
  out.is_image = data.is_image;
  out.source = data.source;
  out.x.resize(static_cast<size_t>(out.count) * data.features);
  out.y.resize(indices.size());
  for (size_t i = 0; i < indices.size(); ++i) {
    const float* src = data.x.data() + static_cast<size_t>(indices[i]) * data.features;
    std::copy(src, src + data.features, out.x.data() + i * data.features);
    out.y[i] = data.y[indices[i]];
  }
  return out;
}

Dataset Slice(const Dataset& data, int begin, int end) {
  std::vector<int> indices(static_cast<size_t>(end - begin));
  std::iota(indices.begin(), indices.end(), begin);
  return Subset(data, indices);
}

}  // namespace jobctl::trainer
