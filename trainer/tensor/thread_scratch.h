// ThreadScratch: a float buffer per thread and slot that persists across
// calls, for kernels that want cache-resident scratch on whichever compute
// thread runs them, without allocating on every call.
//
// Thread-safety: each thread gets its own buffers.
#pragma once

#include <cstddef>

namespace jobctl::trainer {

constexpr int kThreadScratchSlots = 8;

// At least `count` floats, valid on this thread until its next call with the
// same slot. Precondition: 0 <= slot < kThreadScratchSlots.
float* ThreadScratch(int slot, size_t count);

}  // namespace jobctl::trainer
