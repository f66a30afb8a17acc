// Tensor: a batch of samples, each a flat row of `features` floats.
//
// Layers know the geometry of a sample (channels, height, width) from their
// construction, so a tensor carries only the batch size and the row length.
// Storage is row-major: sample n occupies data[n * features, (n+1) * features).
// Resize keeps the allocation when it shrinks, so a training loop reuses its
// buffers step after step without allocating.
//
// Thread-safety: a value type; no internal synchronisation.
#pragma once

#include <cstddef>
#include <vector>

namespace jobctl::trainer {

struct Tensor {
  int batch = 0;
  int features = 0;
  std::vector<float> data;

  size_t size() const { return static_cast<size_t>(batch) * static_cast<size_t>(features); }
  void Resize(int new_batch, int new_features) {
    batch = new_batch;
    features = new_features;
    if (data.size() < size()) data.resize(size());
  }
  float* row(int n) { return data.data() + static_cast<size_t>(n) * features; }
  const float* row(int n) const { return data.data() + static_cast<size_t>(n) * features; }
};

}  // namespace jobctl::trainer
