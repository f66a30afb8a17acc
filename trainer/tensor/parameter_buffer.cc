#include "trainer/tensor/parameter_buffer.h"

#include <cassert>
#include <utility>

namespace jobctl::trainer {

size_t ParameterBuffer::Reserve(std::string name, std::vector<int> shape) {
  assert(values_.empty());
  size_t count = 1;
  for (int d : shape) count *= static_cast<size_t>(d);
  // Keep every parameter 16-float aligned so vector loops start aligned.
  size_t offset = (total_ + 15) / 16 * 16;
  parameters_.push_back({std::move(name), std::move(shape), offset, count});
  total_ = offset + count;
  return offset;
}

void ParameterBuffer::Finalize() {
  values_.assign(total_, 0.0f);
  grads_.assign(total_, 0.0f);
}

}  // namespace jobctl::trainer
