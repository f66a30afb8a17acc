#include "cli/progress_bar.h"

#include <gtest/gtest.h>

#include "cli/commands/outputs_common.h"

namespace jobctl::cli {
namespace {

TEST(ProgressBarTest, RenderShowsPercentBytesAndFitsWidth) {
  std::string line = ProgressBar::Render(50 << 20, 100 << 20, 3, 10, 1.0, "a/b/model.bin", 120);
  EXPECT_NE(line.find(" 50%"), std::string::npos) << line;
  EXPECT_NE(line.find("3/10 files"), std::string::npos) << line;
  EXPECT_NE(line.find("model.bin"), std::string::npos) << line;
  std::string narrow = ProgressBar::Render(1, 2, 0, 1, 0.5, std::string(200, 'x'), 60);
  EXPECT_LE(narrow.size(), 60u);
  EXPECT_NE(ProgressBar::Render(0, 0, 0, 0, 0, "", 80).find("100%"), std::string::npos);
}

TEST(SelectFilesTest, FileFolderAllAndMissing) {
  std::vector<protocol::OutputFile> files = {{"model.bin", 1, "", 0644},
                                             {"ckpt/a", 2, "", 0644},
                                             {"ckpt/b", 3, "", 0644},
                                             {"ckptx", 4, "", 0644}};
  auto all = SelectFiles(files, "", "out", false);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 4u);
  auto one = SelectFiles(files, "outputs/model.bin", "out", false);
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].dest, "out/model.bin");
  auto folder = SelectFiles(files, "ckpt/", "d", false);
  ASSERT_TRUE(folder.ok());
  ASSERT_EQ(folder->size(), 2u);
  EXPECT_EQ((*folder)[1].dest, "d/ckpt/b");
  std::vector<protocol::OutputFile> nested = {{"rank-1/ckpt/w.bin", 1, "", 0644}};
  auto stripped = SelectFiles(nested, "rank-1/ckpt", "m", true);
  ASSERT_TRUE(stripped.ok());
  EXPECT_EQ((*stripped)[0].dest, "m/ckpt/w.bin");
  EXPECT_EQ(SelectFiles(files, "nope", "out", false).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace jobctl::cli
