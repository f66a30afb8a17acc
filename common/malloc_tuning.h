// Keeps glibc malloc from handing large freed buffers back to the kernel.
//
// The log path moves MiB-sized buffers (log batches, read_logs replies)
// through every process at a high rate. With glibc's defaults each such
// buffer is mmap()ed and munmap()ed, or the heap top is trimmed after it is
// freed, so every batch costs page faults on fresh zeroed pages. Raising the
// mmap and trim thresholds lets freed buffers be reused instead; a process
// keeps at most about kTrimThreshold bytes of free heap.
#pragma once

#include <malloc.h>

namespace jobctl {

inline void TuneMallocForLargeBuffers() {
  constexpr int kMmapThreshold = 32 << 20;  // larger blocks (code archives) still use mmap
  constexpr int kTrimThreshold = 128 << 20;
  ::mallopt(M_MMAP_THRESHOLD, kMmapThreshold);
  ::mallopt(M_TRIM_THRESHOLD, kTrimThreshold);
}

}  // namespace jobctl
