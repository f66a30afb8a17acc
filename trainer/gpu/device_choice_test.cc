// --device resolution (runs on every machine: the answers depend on whether
// this one has a usable GPU).
#include "trainer/train/device_choice.h"

#include <gtest/gtest.h>

#include "trainer/cuda/device.h"

namespace jobctl::trainer {
namespace {

TEST(DeviceChoiceTest, CpuIsAlwaysCpu) {
  auto device = ResolveDevice("cpu");
  ASSERT_TRUE(device.ok());
  EXPECT_EQ(*device, "cpu");
}

TEST(DeviceChoiceTest, AutoPicksCudaExactlyWhenAGpuIsUsable) {
  auto device = ResolveDevice("auto");
  ASSERT_TRUE(device.ok());
  const bool gpu = cuda::BuiltWithCuda() && cuda::CudaDeviceCount() > 0;
  EXPECT_EQ(*device, gpu ? "cuda" : "cpu");
}

TEST(DeviceChoiceTest, CudaWithoutAGpuIsBadInputNamingTheReason) {
  auto device = ResolveDevice("cuda");
  if (cuda::BuiltWithCuda() && cuda::CudaDeviceCount() > 0) {
    ASSERT_TRUE(device.ok()) << device.status().message();
    EXPECT_EQ(*device, "cuda");
    return;
  }
  ASSERT_FALSE(device.ok());
  EXPECT_EQ(device.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(device.status().message().rfind("--device cuda: ", 0), 0u) << device.status().message();
  const std::string reason =
      cuda::BuiltWithCuda() ? cuda::NoCudaDeviceReason() : std::string("built without the CUDA");
  EXPECT_NE(device.status().message().find(reason), std::string::npos) << device.status().message();
}

TEST(DeviceChoiceTest, UnknownDeviceIsBadInput) {
  auto device = ResolveDevice("tpu");
  ASSERT_FALSE(device.ok());
  EXPECT_EQ(device.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace jobctl::trainer
