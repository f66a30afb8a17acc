#include "trainer/tensor/blas.h"

#include <cblas.h>

#include <cstdint>

#include "trainer/tensor/thread_pool.h"

namespace jobctl::trainer {
namespace {

// Below this many multiply-adds per thread a split costs more than it saves.
constexpr int64_t kMinMacsPerThread = 1 << 18;

}  // namespace

void Gemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a, int lda,
          const float* b, int ldb, float beta, float* c, int ldc) {
  const int64_t macs_per_column = static_cast<int64_t>(m) * k;
  const int64_t min_columns = kMinMacsPerThread / (macs_per_column > 0 ? macs_per_column : 1) + 1;
  // Parts of columns claimed by whichever thread is free (a core slowed by
  // another process costs one part, not half the product).
  ParallelForDynamic(n, 16, min_columns, 4 * ComputePool().size(), [&](int64_t begin, int64_t end) {
    const float* b_part = trans_b ? b + begin * ldb : b + begin;
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, m, static_cast<int>(end - begin), k, alpha, a,
                lda, b_part, ldb, beta, c + begin, ldc);
  });
}

void GemmSerial(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a,
                int lda, const float* b, int ldb, float beta, float* c, int ldc) {
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
              trans_b ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void SetBlasThreads(int threads) { SetComputeThreads(threads); }

}  // namespace jobctl::trainer
