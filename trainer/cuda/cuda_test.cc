#include <string>

#include <gtest/gtest.h>

#include "trainer/cuda/cuda_check.h"
#include "trainer/cuda/device.h"

namespace jobctl::cuda {
namespace fake {

// A stand-in library result type, described through the same overload
// point the real libraries use.
enum class FakeResult { kOk = 0, kBroken = 7 };

CudaResultInfo DescribeCudaResult(FakeResult result) {
  CudaResultInfo info;
  info.ok = result == FakeResult::kOk;
  info.library = "Fake";
  info.code = static_cast<long>(result);
  info.text = "fakeErrorBroken: the fake is broken";
  info.status_code = StatusCode::kUnavailable;
  return info;
}

FakeResult FakeCall(int x) { return x > 0 ? FakeResult::kBroken : FakeResult::kOk; }

}  // namespace fake

namespace {

Status CallsThrough(int x, bool* reached_end) {
  JOBCTL_CUDA_RETURN_IF_ERROR(fake::FakeCall(x));
  *reached_end = true;
  return Status::Ok();
}

TEST(CudaCheckTest, SuccessIsOk) {
  EXPECT_TRUE(JOBCTL_CUDA_STATUS(fake::FakeCall(0)).ok());
  bool reached_end = false;
  EXPECT_TRUE(CallsThrough(0, &reached_end).ok());
  EXPECT_TRUE(reached_end);
}

TEST(CudaCheckTest, FailureNamesTheCallTheErrorAndFileLine) {
  const int line = __LINE__ + 1;
  Status status = JOBCTL_CUDA_STATUS(fake::FakeCall(3));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::kUnavailable);
  EXPECT_EQ(status.message(), "fake::FakeCall(3) failed: Fake error 7 (fakeErrorBroken: the fake "
                              "is broken) at " __FILE__ ":" + std::to_string(line));
}

TEST(CudaCheckTest, ReturnIfErrorReturnsEarly) {
  bool reached_end = false;
  Status status = CallsThrough(1, &reached_end);
  EXPECT_FALSE(status.ok());
  EXPECT_FALSE(reached_end);
  EXPECT_NE(status.message().find("fake::FakeCall(x)"), std::string::npos) << status.message();
}

TEST(CudaCheckDeathTest, CheckAbortsWithTheMessage) {
  EXPECT_DEATH(JOBCTL_CUDA_CHECK(fake::FakeCall(2)),
               "fatal: fake::FakeCall\\(2\\) failed: Fake error 7");
}

#ifdef JOBCTL_HAVE_CUDA
TEST(CudaCheckTest, DescribesRealCudaAndCublasErrorsWithoutAGpu) {
  Status oom = JOBCTL_CUDA_STATUS(cudaErrorMemoryAllocation);
  EXPECT_EQ(oom.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(oom.message().find("CUDA error 2 (cudaErrorMemoryAllocation"), std::string::npos)
      << oom.message();
  EXPECT_TRUE(JOBCTL_CUDA_STATUS(cudaSuccess).ok());
  Status blas = JOBCTL_CUDA_STATUS(CUBLAS_STATUS_NOT_INITIALIZED);
  EXPECT_NE(blas.message().find("cuBLAS error 1 (CUBLAS_STATUS_NOT_INITIALIZED"),
            std::string::npos)
      << blas.message();
}
#endif

#ifdef JOBCTL_HAVE_NCCL
TEST(CudaCheckTest, DescribesNcclErrors) {
  Status remote = JOBCTL_CUDA_STATUS(ncclRemoteError);
  EXPECT_EQ(remote.code(), StatusCode::kUnavailable);
  EXPECT_NE(remote.message().find("NCCL error"), std::string::npos) << remote.message();
  EXPECT_TRUE(JOBCTL_CUDA_STATUS(ncclInProgress).ok());
}
#endif

TEST(CudaDeviceTest, DetectsTheGpuAndQueriesIt) {
  const int count = CudaDeviceCount();
  if (count == 0) GTEST_SKIP() << "no CUDA GPU here: " << NoCudaDeviceReason();
  EXPECT_TRUE(NoCudaDeviceReason().empty());
  auto info = QueryCudaDevice(0);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_FALSE(info->name.empty());
  EXPECT_GT(info->total_memory_bytes, 0u);
  EXPECT_LE(info->free_memory_bytes, info->total_memory_bytes);
  EXPECT_GE(info->compute_capability_major, 7);
  std::printf("GPU 0: %s, %zu MiB, sm_%d%d, %d SMs\n", info->name.c_str(),
              info->total_memory_bytes >> 20, info->compute_capability_major,
              info->compute_capability_minor, info->multiprocessor_count);
  EXPECT_EQ(QueryCudaDevice(count).status().code(), StatusCode::kInvalidArgument);
}

TEST(CudaDeviceTest, NoGpuIsReportedGracefully) {
  if (CudaDeviceCount() > 0) GTEST_SKIP() << "this machine has a GPU";
  EXPECT_FALSE(NoCudaDeviceReason().empty());
  auto info = QueryCudaDevice(0);
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), StatusCode::kFailedPrecondition) << info.status().ToString();
}

}  // namespace
}  // namespace jobctl::cuda
