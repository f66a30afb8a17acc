// SparseRows::TransposeOf split across threads gives exactly the serial
// transpose (FromDenseTransposed of the same dense matrix), and
// CountNonzeros counts what FromDense keeps, and SparseRowsTimesDense
// gives exactly its rows of SparseTimesDense's product.
#include <gtest/gtest.h>

#include <utility>
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

TEST(SparseTransposeTest, RowRangeOfTheProductEqualsThoseRowsOfTheWhole) {
  Pcg32 rng(10, 11);
  const int rows = 90;
  const int inner = 70;
  for (int n : {5, 16, 300}) {
    SparseRows a;
    const std::vector<float> dense = SparseMatrix(rows, inner, 0.7f, &rng);
    a.FromDense(dense.data(), rows, inner, inner);
    std::vector<float> b(static_cast<size_t>(inner) * n);
    for (float& v : b) v = rng.Uniform(-1.0f, 1.0f);
    std::vector<float> whole(static_cast<size_t>(rows) * n);
    SparseTimesDense(a, b.data(), n, nullptr, whole.data(), n, 0, n);
    for (auto [first, last] : {std::pair{0, 17}, std::pair{17, 64}, std::pair{64, rows}}) {
      std::vector<float> part(static_cast<size_t>(last - first) * n, -7.0f);
      SparseRowsTimesDense(a, first, last, b.data(), n, n, part.data(), n);
      for (int r = first; r < last; ++r) {
        for (int j = 0; j < n; ++j) {
          ASSERT_EQ(part[static_cast<size_t>(r - first) * n + j],
                    whole[static_cast<size_t>(r) * n + j])
              << "n " << n << " row " << r << " column " << j;
        }
      }
    }
  }
}

}  // namespace
}  // namespace jobctl::trainer
