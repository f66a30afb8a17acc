#include "trainer/tensor/parameter_buffer.h"

#include <algorithm>
#include <cassert>
#include <utility>

namespace jobctl::trainer {

void CopyToStandardLayout(const ParameterInfo& p, const float* buffer_values, float* dst) {
  const float* src = buffer_values + p.offset;
  if (!p.transposed) {
    std::copy(src, src + p.count, dst);
    return;
  }
  // src is [cols, rows]; dst is [rows, cols].
  const size_t rows = static_cast<size_t>(p.shape[0]);
  const size_t cols = static_cast<size_t>(p.shape[1]);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < cols; ++c) dst[r * cols + c] = src[c * rows + r];
  }
}

void CopyFromStandardLayout(const ParameterInfo& p, const float* src, float* buffer_values) {
  float* dst = buffer_values + p.offset;
  if (!p.transposed) {
    std::copy(src, src + p.count, dst);
    return;
  }
  const size_t rows = static_cast<size_t>(p.shape[0]);
  const size_t cols = static_cast<size_t>(p.shape[1]);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < cols; ++c) dst[c * rows + r] = src[r * cols + c];
  }
}

size_t ParameterBuffer::Reserve(std::string name, std::vector<int> shape, bool transposed) {
  assert(!transposed || shape.size() == 2);
  assert(values_.empty());
  size_t count = 1;
  for (int d : shape) count *= static_cast<size_t>(d);
  // Keep every parameter 16-float aligned so vector loops start aligned.
  size_t offset = (total_ + 15) / 16 * 16;
  parameters_.push_back({std::move(name), std::move(shape), offset, count, transposed});
  total_ = offset + count;
  return offset;
}

void ParameterBuffer::Finalize() {
  values_.assign(total_, 0.0f);
  grads_.assign(total_, 0.0f);
}

}  // namespace jobctl::trainer
