#include "trainer/tensor/blas.h"

#include <cblas.h>

#include <algorithm>
#include <cstdint>
#include <functional>

#include "trainer/tensor/thread_pool.h"

namespace jobctl::trainer {
namespace {

// Below this many multiply-adds per thread a split costs more than it saves.
constexpr int64_t kMinMacsPerThread = 1 << 18;

// Runs fn(begin, end) over parts of the n output columns of an m x n x k
// product: parts claimed by whichever thread is free (a core slowed by
// another process costs one part, not half the product).
void SplitColumns(int m, int n, int k, const std::function<void(int begin, int end)>& fn) {
  const int64_t macs_per_column = static_cast<int64_t>(m) * k;
  const int64_t min_columns = kMinMacsPerThread / (macs_per_column > 0 ? macs_per_column : 1) + 1;
  ParallelForDynamic(n, 16, min_columns, 2 * ComputePool().size(), [&](int64_t begin, int64_t end) {
    fn(static_cast<int>(begin), static_cast<int>(end));
  });
}

}  // namespace

void Gemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a, int lda,
          const float* b, int ldb, float beta, float* c, int ldc) {
  SplitColumns(m, n, k, [&](int begin, int end) {
    const float* b_part = trans_b ? b + static_cast<int64_t>(begin) * ldb : b + begin;
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, m, end - begin, k, alpha, a, lda, b_part, ldb,
                beta, c + begin, ldc);
  });
}

void GemmBias(int m, int n, int k, const float* a, int lda, const float* b, int ldb,
              const float* bias, float* c, int ldc) {
  SplitColumns(m, n, k, [&](int begin, int end) {
    for (int row = 0; row < m; ++row) {
      std::copy(bias + begin, bias + end, c + static_cast<int64_t>(row) * ldc + begin);
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, end - begin, k, 1.0f, a, lda,
                b + begin, ldb, 1.0f, c + begin, ldc);
  });
}

void GemmSerial(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a,
                int lda, const float* b, int ldb, float beta, float* c, int ldc) {
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
              trans_b ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void SetBlasThreads(int threads) { SetComputeThreads(threads); }

}  // namespace jobctl::trainer
