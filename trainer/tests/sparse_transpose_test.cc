// SparseRows::TransposeOf split across threads gives exactly the serial
// transpose (FromDenseTransposed of the same dense matrix), and
// CountNonzeros counts what FromDense keeps.
#include <gtest/gtest.h>

#include <vector>

#include "trainer/tensor/rng.h"
#include "trainer/tensor/sparse_matrix.h"
#include "trainer/tensor/thread_pool.h"

namespace jobctl::trainer {
namespace {

// rows x cols, about `zeros` of it zero, whole columns zero now and then.
std::vector<float> SparseMatrix(int rows, int cols, float zeros, Pcg32* rng) {
  std::vector<float> a(static_cast<size_t>(rows) * cols);
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) {
      const bool zero = c % 37 == 5 || rng->Uniform(0.0f, 1.0f) < zeros;
      a[static_cast<size_t>(r) * cols + c] = zero ? 0.0f : rng->Uniform(-1.0f, 1.0f);
    }
  }
  return a;
}

TEST(SparseTransposeTest, SplitAcrossThreadsEqualsTheSerialTranspose) {
  Pcg32 rng(8, 9);
  for (int threads : {1, 2, 3}) {
    SetComputeThreads(threads);
    for (float zeros : {0.0f, 0.8f, 1.0f}) {
      const int rows = 45;
      const int cols = 797;  // several parts of 64+ features, a ragged end
      std::vector<float> a = SparseMatrix(rows, cols, zeros, &rng);
      SparseRows by_row;
      by_row.FromDense(a.data(), rows, cols, cols);
      ASSERT_EQ(by_row.nonzeros(), CountNonzeros(a.data(), rows, cols, cols));
      SparseRows want;
      want.FromDenseTransposed(a.data(), rows, cols, cols);
      SparseRows got;
      got.column.assign(5, 7);  // stale contents must not matter
      got.TransposeOf(by_row);
      ASSERT_EQ(got.rows, want.rows);
      ASSERT_EQ(got.cols, want.cols);
      ASSERT_EQ(got.row_start, want.row_start) << threads << " threads, zeros " << zeros;
      ASSERT_EQ(got.column, want.column) << threads << " threads, zeros " << zeros;
      ASSERT_EQ(got.value, want.value) << threads << " threads, zeros " << zeros;
    }
  }
  SetComputeThreads(1);
}

TEST(SparseTransposeTest, CountNonzerosWithRowStrideAndTail) {
  // 3 rows of 21 used columns in rows of 24: the padding is not counted.
  std::vector<float> a(3 * 24, 1.0f);
  for (int r = 0; r < 3; ++r) a[static_cast<size_t>(r) * 24 + 4] = 0.0f;
  EXPECT_EQ(CountNonzeros(a.data(), 3, 21, 24), 3 * 20);
  EXPECT_EQ(CountNonzeros(a.data(), 0, 21, 24), 0);
}

}  // namespace
}  // namespace jobctl::trainer
