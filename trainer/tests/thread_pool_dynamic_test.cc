// ThreadPool::Run with more indices than threads, and ParallelForDynamic:
// every index / item exactly once, in jobs of changing sizes back to back.
#include <gtest/gtest.h>

#include <atomic>
#include <vector>

#include "trainer/tensor/thread_pool.h"

namespace jobctl::trainer {
namespace {

TEST(ThreadPoolDynamicTest, EveryIndexOnceWhateverTheCount) {
  ThreadPool pool(3);
  for (int round = 0; round < 200; ++round) {
    const int count = 1 + (round * 7) % 23;  // above and below the thread count
    std::vector<std::atomic<int>> runs(static_cast<size_t>(count));
    std::atomic<int> bad_count{0};
    pool.Run(
        [&](int index, int seen_count) {
          if (seen_count != count) ++bad_count;
          ++runs[static_cast<size_t>(index)];
        },
        count);
    ASSERT_EQ(bad_count.load(), 0) << "round " << round;
    for (int i = 0; i < count; ++i) ASSERT_EQ(runs[static_cast<size_t>(i)].load(), 1) << i;
    // The plain Run still gives size() indices.
    std::atomic<int> plain{0};
    pool.Run([&](int, int seen) { plain += seen == 3 ? 1 : 100; });
    ASSERT_EQ(plain.load(), 3);
  }
}

TEST(ThreadPoolDynamicTest, ParallelForDynamicCoversEveryItemOnceOnAlignedBounds) {
  for (int threads : {1, 2, 3}) {
    SetComputeThreads(threads);
    for (int64_t total : {0, 1, 63, 64, 1000, 100003}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(total));
      std::atomic<int> misaligned{0};
      ParallelForDynamic(total, 16, 100, 7, [&](int64_t begin, int64_t end) {
        if (begin % 16 != 0 || (end % 16 != 0 && end != total)) ++misaligned;
        for (int64_t i = begin; i < end; ++i) ++hits[static_cast<size_t>(i)];
      });
      EXPECT_EQ(misaligned.load(), 0);
      for (int64_t i = 0; i < total; ++i) ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1) << i;
    }
  }
  SetComputeThreads(1);
}

}  // namespace
}  // namespace jobctl::trainer
