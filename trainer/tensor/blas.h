// Thin wrappers over OpenBLAS: row-major single-precision GEMM. All dense
// matrix products of the CPU trainer go through Gemm, which splits large
// products by output columns across ComputePool() and runs single-threaded
// OpenBLAS on each part (see thread_pool.h), so the result does not depend on
// the thread count.
//
// Thread-safety: Gemm is reentrant; SetBlasThreads changes process state.
#pragma once

namespace jobctl::trainer {

// C[m x n] = alpha * op(A) * op(B) + beta * C, all row-major.
// op(A) is m x k (A is k x m when trans_a), op(B) is k x n (B is n x k when
// trans_b). lda/ldb/ldc are the row strides of A, B, C as stored.
void Gemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a, int lda,
          const float* b, int ldb, float beta, float* c, int ldc);

// C[m x n] = A[m x k] * B[k x n] + bias[n] in every row (Linear's forward
// pass), split like Gemm; each part writes its columns' bias first, so the
// bias costs no pass of its own on one thread.
void GemmBias(int m, int n, int k, const float* a, int lda, const float* b, int ldb,
              const float* bias, float* c, int ldc);

// Gemm on the calling thread only, for kernels that already run one part
// per pool thread.
void GemmSerial(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a,
                int lda, const float* b, int ldb, float beta, float* c, int ldc);

// The trainer's compute threads (>= 1): SetComputeThreads(threads).
void SetBlasThreads(int threads);

}  // namespace jobctl::trainer
