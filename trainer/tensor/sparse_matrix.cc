#include "trainer/tensor/sparse_matrix.h"

#include <immintrin.h>

#include <algorithm>

#include "trainer/tensor/thread_pool.h"

namespace jobctl::trainer {
namespace {

void SparseTimesDenseGeneric(const SparseRows& a, const float* b, int ldb, const float* bias,
                             float* c, int ldc, int begin, int end) {
  for (int r = 0; r < a.rows; ++r) {
    float* out = c + static_cast<int64_t>(r) * ldc;
    for (int j = begin; j < end; ++j) out[j] = bias != nullptr ? bias[j] : 0.0f;
    for (int e = a.row_start[r]; e < a.row_start[r + 1]; ++e) {
      const float x = a.value[e];
      const float* row = b + static_cast<int64_t>(a.column[e]) * ldb;
      for (int j = begin; j < end; ++j) out[j] += x * row[j];
    }
  }
}

// kRegs accumulators of 16 floats stay in registers while the nonzeros of
// one row stream their rows of B through them. The loops over the
// accumulators are unrolled by hand-placed pragmas: otherwise GCC keeps the
// array on the stack and clears it with `rep stos` for every row.
template <int kRegs>
__attribute__((target("avx512f"))) inline void Avx512Block(const SparseRows& a, int r,
                                                           const float* b, int ldb,
                                                           const float* bias, float* out, int j) {
  __m512 acc[kRegs];
  if (bias != nullptr) {
#pragma GCC unroll 16
    for (int i = 0; i < kRegs; ++i) acc[i] = _mm512_loadu_ps(bias + j + 16 * i);
  } else {
#pragma GCC unroll 16
    for (int i = 0; i < kRegs; ++i) acc[i] = _mm512_setzero_ps();
  }
  const int* column = a.column.data();
  const float* value = a.value.data();
  const int last = a.row_start[r + 1];
  for (int e = a.row_start[r]; e < last; ++e) {
    const __m512 x = _mm512_set1_ps(value[e]);
    const float* row = b + static_cast<int64_t>(column[e]) * ldb + j;
#pragma GCC unroll 16
    for (int i = 0; i < kRegs; ++i) {
      acc[i] = _mm512_fmadd_ps(x, _mm512_loadu_ps(row + 16 * i), acc[i]);
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < kRegs; ++i) _mm512_storeu_ps(out + j + 16 * i, acc[i]);
}

__attribute__((target("avx512f"))) void SparseTimesDenseAvx512(const SparseRows& a, const float* b,
                                                               int ldb, const float* bias, float* c,
                                                               int ldc, int begin, int end) {
  for (int r = 0; r < a.rows; ++r) {
    float* out = c + static_cast<int64_t>(r) * ldc;
    int j = begin;
    for (; j + 256 <= end; j += 256) Avx512Block<16>(a, r, b, ldb, bias, out, j);
    for (; j + 128 <= end; j += 128) Avx512Block<8>(a, r, b, ldb, bias, out, j);
    for (; j + 16 <= end; j += 16) Avx512Block<1>(a, r, b, ldb, bias, out, j);
    if (j < end) {
      const __mmask16 mask = static_cast<__mmask16>((1u << (end - j)) - 1u);
      __m512 acc = bias != nullptr ? _mm512_maskz_loadu_ps(mask, bias + j) : _mm512_setzero_ps();
      for (int e = a.row_start[r]; e < a.row_start[r + 1]; ++e) {
        const float* row = b + static_cast<int64_t>(a.column[e]) * ldb + j;
        acc = _mm512_fmadd_ps(_mm512_set1_ps(a.value[e]), _mm512_maskz_loadu_ps(mask, row), acc);
      }
      _mm512_mask_storeu_ps(out + j, mask, acc);
    }
  }
}

// The nonzeros of each row, 16 at a time with compress stores.
__attribute__((target("avx512f"))) void FromDenseAvx512(const float* a, int rows, int cols, int lda,
                                                        int* row_start, int* column, float* value) {
  int count = 0;
  const __m512i step = _mm512_set1_epi32(16);
  for (int r = 0; r < rows; ++r) {
    row_start[r] = count;
    const float* src = a + static_cast<int64_t>(r) * lda;
    __m512i index = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    for (int j = 0; j < cols; j += 16) {
      const __mmask16 valid = cols - j >= 16 ? static_cast<__mmask16>(0xFFFF)
                                             : static_cast<__mmask16>((1u << (cols - j)) - 1u);
      const __m512 x = _mm512_maskz_loadu_ps(valid, src + j);
      const __mmask16 nonzero = _mm512_mask_cmp_ps_mask(valid, x, _mm512_setzero_ps(), _CMP_NEQ_UQ);
      // Compress in registers, then a full store: compress straight to
      // memory is microcoded and slow on some CPUs. The arrays have 16
      // entries of slack for the tail.
      _mm512_storeu_ps(value + count, _mm512_maskz_compress_ps(nonzero, x));
      _mm512_storeu_si512(column + count, _mm512_maskz_compress_epi32(nonzero, index));
      count += __builtin_popcount(nonzero);
      index = _mm512_add_epi32(index, step);
    }
  }
  row_start[rows] = count;
}

__attribute__((target("avx512f"))) int64_t CountNonzerosAvx512(const float* a, int rows, int cols,
                                                               int lda) {
  int64_t count = 0;
  for (int r = 0; r < rows; ++r) {
    const float* src = a + static_cast<int64_t>(r) * lda;
    for (int j = 0; j < cols; j += 16) {
      const __mmask16 valid = cols - j >= 16 ? static_cast<__mmask16>(0xFFFF)
                                             : static_cast<__mmask16>((1u << (cols - j)) - 1u);
      const __m512 x = _mm512_maskz_loadu_ps(valid, src + j);
      count +=
          __builtin_popcount(_mm512_mask_cmp_ps_mask(valid, x, _mm512_setzero_ps(), _CMP_NEQ_UQ));
    }
  }
  return count;
}

bool HasAvx512() {
  static const bool has = __builtin_cpu_supports("avx512f");
  return has;
}

}  // namespace

int64_t CountNonzeros(const float* a, int rows, int cols, int lda) {
  if (HasAvx512()) return CountNonzerosAvx512(a, rows, cols, lda);
  int64_t count = 0;
  for (int r = 0; r < rows; ++r) {
    const float* src = a + static_cast<int64_t>(r) * lda;
    for (int j = 0; j < cols; ++j) count += src[j] != 0.0f ? 1 : 0;
  }
  return count;
}

void SparseRows::FromDense(const float* a, int n_rows, int n_cols, int lda) {
  rows = n_rows;
  cols = n_cols;
  row_start.resize(static_cast<size_t>(rows) + 1);
  column.resize(static_cast<size_t>(rows) * cols + 16);
  value.resize(static_cast<size_t>(rows) * cols + 16);
  if (HasAvx512()) {
    FromDenseAvx512(a, rows, cols, lda, row_start.data(), column.data(), value.data());
    return;
  }
  int count = 0;
  for (int r = 0; r < rows; ++r) {
    row_start[r] = count;
    const float* src = a + static_cast<int64_t>(r) * lda;
    for (int j = 0; j < cols; ++j) {
      // Branch-free: always write, advance only past a nonzero.
      column[count] = j;
      value[count] = src[j];
      count += src[j] != 0.0f ? 1 : 0;
    }
  }
  row_start[rows] = count;
}

void SparseRows::FromDenseTransposed(const float* a, int n_rows, int n_cols, int lda) {
  rows = n_cols;
  cols = n_rows;
  row_start.assign(static_cast<size_t>(rows) + 1, 0);
  for (int r = 0; r < n_rows; ++r) {
    const float* src = a + static_cast<int64_t>(r) * lda;
    for (int j = 0; j < n_cols; ++j) row_start[j + 1] += src[j] != 0.0f ? 1 : 0;
  }
  for (int j = 0; j < rows; ++j) row_start[j + 1] += row_start[j];
  const int count = row_start[rows];
  column.resize(static_cast<size_t>(count));
  value.resize(static_cast<size_t>(count));
  std::vector<int> next(row_start.begin(), row_start.end() - 1);
  for (int r = 0; r < n_rows; ++r) {
    const float* src = a + static_cast<int64_t>(r) * lda;
    for (int j = 0; j < n_cols; ++j) {
      if (src[j] != 0.0f) {
        const int e = next[j]++;
        column[e] = r;
        value[e] = src[j];
      }
    }
  }
}

namespace {

// Rows [first, last) of the transpose of `a` into `t`, whose column and
// value arrays are already sized. Each row of `a` lists its columns in
// increasing order, so its entries in [first, last) are one run, found by
// binary search; the output is that of a serial pass over all of `a`.
void TransposeRange(const SparseRows& a, int first, int last, SparseRows* t) {
  thread_local std::vector<int> lo;
  thread_local std::vector<int> hi;
  thread_local std::vector<int> next;
  lo.resize(static_cast<size_t>(a.rows));
  hi.resize(static_cast<size_t>(a.rows));
  next.assign(static_cast<size_t>(last - first), 0);
  const int* columns = a.column.data();
  int base = 0;  // entries of `a` in columns before `first`
  for (int r = 0; r < a.rows; ++r) {
    const int* begin = columns + a.row_start[r];
    const int* end = columns + a.row_start[r + 1];
    const int* from = std::lower_bound(begin, end, first);
    const int* to = std::lower_bound(from, end, last);
    lo[r] = static_cast<int>(from - columns);
    hi[r] = static_cast<int>(to - columns);
    base += static_cast<int>(from - begin);
    for (const int* e = from; e < to; ++e) ++next[*e - first];
  }
  int at = base;
  for (int f = first; f < last; ++f) {
    t->row_start[f] = at;
    const int count = next[f - first];
    next[f - first] = at;
    at += count;
  }
  if (last == t->rows) t->row_start[last] = at;
  for (int r = 0; r < a.rows; ++r) {
    for (int e = lo[r]; e < hi[r]; ++e) {
      const int to = next[columns[e] - first]++;
      t->column[to] = r;
      t->value[to] = a.value[e];
    }
  }
}

// Rows of the transpose below which a part is not split further.
constexpr int64_t kMinTransposeRows = 64;

}  // namespace

void SparseRows::TransposeOf(const SparseRows& a) {
  rows = a.cols;
  cols = a.rows;
  const auto count = static_cast<size_t>(a.nonzeros());
  row_start.resize(static_cast<size_t>(rows) + 1);
  row_start[0] = 0;
  column.resize(count);
  value.resize(count);
  ParallelForDynamic(rows, 16, kMinTransposeRows, 2 * ComputePool().size(),
                     [&](int64_t first, int64_t last) {
                       TransposeRange(a, static_cast<int>(first), static_cast<int>(last), this);
                     });
}

void SparseTimesDense(const SparseRows& a, const float* b, int ldb, const float* bias, float* c,
                      int ldc, int begin, int end) {
  if (begin >= end) return;
  if (HasAvx512()) {
    SparseTimesDenseAvx512(a, b, ldb, bias, c, ldc, begin, end);
  } else {
    SparseTimesDenseGeneric(a, b, ldb, bias, c, ldc, begin, end);
  }
}

}  // namespace jobctl::trainer
