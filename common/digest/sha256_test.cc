#include "common/digest/sha256.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace jobctl::digest {
namespace {

TEST(Sha256Test, KnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Test, StreamEqualsOneShot) {
  std::string data(3 << 20, 'q');
  for (size_t i = 0; i < data.size(); i += 7) data[i] = static_cast<char>(i);
  Sha256Stream s;
  for (size_t i = 0; i < data.size(); i += 100000)
    s.Update(std::string_view(data).substr(i, 100000));
  EXPECT_EQ(s.FinishHex(), Sha256Hex(data));
}

TEST(Sha256Test, FileAndSize) {
  std::string path = ::testing::TempDir() + "/sha256_file_test.bin";
  std::string data(2500000, 'z');
  std::ofstream(path, std::ios::binary) << data;
  int64_t size = 0;
  auto hex = Sha256File(path, &size);
  ASSERT_TRUE(hex.ok()) << hex.status().ToString();
  EXPECT_EQ(*hex, Sha256Hex(data));
  EXPECT_EQ(size, 2500000);
  std::remove(path.c_str());
  EXPECT_FALSE(Sha256File(path).ok());
}

TEST(Sha256Test, IsSha256Hex) {
  EXPECT_TRUE(IsSha256Hex(Sha256Hex("x")));
  EXPECT_FALSE(IsSha256Hex("../../etc/passwd"));
  EXPECT_FALSE(IsSha256Hex(std::string(64, 'A')));
}

}  // namespace
}  // namespace jobctl::digest
