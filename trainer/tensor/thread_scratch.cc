#include "trainer/tensor/thread_scratch.h"

#include <vector>

namespace jobctl::trainer {

float* ThreadScratch(int slot, size_t count) {
  thread_local std::vector<float> buffers[kThreadScratchSlots];
  std::vector<float>& buffer = buffers[slot];
  if (buffer.size() < count) buffer.resize(count);
  return buffer.data();
}

}  // namespace jobctl::trainer
