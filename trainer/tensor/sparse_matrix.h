// SparseRows: a matrix in compressed sparse row form (the nonzeros of each
// row, in column order), built from a dense row-major matrix; and the
// product of such a matrix with a dense one.
//
// MNIST images are about 80% zeros and ReLU outputs often half, so the first
// Linear layer's forward pass (X * W^T) and weight gradient (X^T * dY) skip
// most multiply-adds when X is read in this form. The products are exact:
// they add the same nonzero terms, in the same order, as a dense loop would.
//
// Thread-safety: value types and pure functions (TransposeOf uses the
// compute pool, see thread_pool.h).
#pragma once

#include <cstdint>
#include <vector>

namespace jobctl::trainer {

struct SparseRows {
  int rows = 0;
  int cols = 0;
  std::vector<int> row_start;  // rows + 1 entries
  std::vector<int> column;     // per nonzero
  std::vector<float> value;    // per nonzero

  int64_t nonzeros() const { return row_start.empty() ? 0 : row_start[rows]; }
  double density() const {
    return rows == 0 || cols == 0 ? 0.0 : static_cast<double>(nonzeros()) / rows / cols;
  }
  // A = the dense [rows x cols] matrix at `a` (row stride lda).
  void FromDense(const float* a, int rows, int cols, int lda);
  // A = the transpose of the dense [rows x cols] matrix at `a`, so A is
  // [cols x rows]; row r of A lists the rows of `a` nonzero in column r.
  void FromDenseTransposed(const float* a, int rows, int cols, int lda);
  // A = the transpose of `a` (rows listed in increasing order); split
  // across ComputePool() by rows of A when large (same result).
  void TransposeOf(const SparseRows& a);
};

// The number of nonzeros of the dense [rows x cols] matrix at `a` (row
// stride lda): what FromDense would keep, without building anything.
int64_t CountNonzeros(const float* a, int rows, int cols, int lda);

// Columns [begin, end) of C[a.rows x n] = A * B (+ bias[j] in every row when
// bias is not null), where B is dense [a.cols x n] with row stride ldb and C
// has row stride ldc. Other columns of C are untouched. Uses AVX-512 when
// the CPU has it.
void SparseTimesDense(const SparseRows& a, const float* b, int ldb, const float* bias, float* c,
                      int ldc, int begin, int end);

}  // namespace jobctl::trainer
