#include "cli/archive.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "cli/test_util.h"

namespace jobctl::cli {
namespace {

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ArchiveTest, PackedFolderUnpacksToTheSameFiles) {
  TempDir src;
  std::string binary("\x00\x01\xff\xfe binary", 12);
  src.Write("train.py", "print('hello')\n");
  src.Write("pkg/model.py", "class Model: pass\n");
  src.Write("pkg/data/weights.bin", binary);
  auto archive = PackDirectory(src.path());
  ASSERT_TRUE(archive.ok()) << archive.status().ToString();
  ASSERT_GT(archive->size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>((*archive)[0]), 0x1f);  // gzip magic
  EXPECT_EQ(static_cast<unsigned char>((*archive)[1]), 0x8b);

  TempDir dst;
  std::string tgz = dst.Write("code.tar.gz", *archive);
  std::filesystem::create_directories(dst.path() + "/out");
  auto untar = RunAndCapture({"tar", "-C", dst.path() + "/out", "-xzf", tgz}, 1 << 20);
  ASSERT_TRUE(untar.ok());
  ASSERT_EQ(untar->exit_code, 0) << untar->err;
  EXPECT_EQ(ReadFile(dst.path() + "/out/train.py"), "print('hello')\n");
  EXPECT_EQ(ReadFile(dst.path() + "/out/pkg/model.py"), "class Model: pass\n");
  EXPECT_EQ(ReadFile(dst.path() + "/out/pkg/data/weights.bin"), binary);
}

TEST(ArchiveTest, MissingFolderIsAnError) {
  TempDir dir;
  auto archive = PackDirectory(dir.path() + "/nope");
  ASSERT_FALSE(archive.ok());
  EXPECT_EQ(archive.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(archive.status().message().find("nope"), std::string::npos);
  std::string file = dir.Write("file.txt", "x");
  EXPECT_FALSE(PackDirectory(file).ok());
}

TEST(ArchiveTest, ArchiveOverTheLimitIsAnError) {
  TempDir src;
  // Incompressible data: bytes of a simple PRNG.
  std::string noise(256 * 1024, '\0');
  uint32_t x = 12345;
  for (char& c : noise) {
    x = x * 1664525u + 1013904223u;
    c = static_cast<char>(x >> 24);
  }
  src.Write("noise.bin", noise);
  auto archive = PackDirectory(src.path(), 64 * 1024);
  ASSERT_FALSE(archive.ok());
  EXPECT_EQ(archive.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(archive.status().message().find(src.path()), std::string::npos);
  EXPECT_TRUE(PackDirectory(src.path(), 1 << 20).ok());
}

}  // namespace
}  // namespace jobctl::cli
