#include "controller/log_store.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "common/protocol/log_records.h"

namespace jobctl::controller {
namespace {

class LogStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ctl_logs_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    store_.reset();
    auto s = LogStore::Open(dir_.string());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
  }
  std::vector<std::string> Lines(const LogStore::ReadResult& r) {
    std::vector<std::string> out;
    auto records = protocol::UnpackRecords(r.records);
    EXPECT_TRUE(records.ok());
    if (!records.ok()) return out;
    for (const auto& rec : *records) {
      out.push_back(std::to_string(rec.rank) + ":" + std::string(rec.line));
    }
    return out;
  }
  std::filesystem::path dir_;
  std::unique_ptr<LogStore> store_;
};

TEST_F(LogStoreTest, AppendDedupeGapAndRead) {
  EXPECT_EQ(*store_->Append("1", 1, 0, 0, {"a", "b"}), 2u);
  EXPECT_EQ(*store_->Append("1", 1, 0, 1, {"b", "c"}), 3u);  // "b" is a duplicate
  EXPECT_EQ(*store_->Append("1", 1, 0, 5, {"x"}), 3u);       // gap: rejected
  EXPECT_EQ(*store_->Append("1", 1, 1, 0, {"r1"}), 1u);
  auto all = store_->Read("1", 0, -1, -1, 100);
  EXPECT_EQ(Lines(*all), (std::vector<std::string>{"0:a", "0:b", "0:c", "1:r1"}));
  EXPECT_EQ(all->next_index, 4u);
  auto rank1 = store_->Read("1", 0, 1, -1, 100);
  EXPECT_EQ(Lines(*rank1), (std::vector<std::string>{"1:r1"}));
  auto tail = store_->Read("1", 0, 0, 2, 100);
  EXPECT_EQ(Lines(*tail), (std::vector<std::string>{"0:b", "0:c"}));
  auto from = store_->Read("1", 2, -1, -1, 1);
  EXPECT_EQ(Lines(*from), (std::vector<std::string>{"0:c"}));
  EXPECT_EQ(from->next_index, 3u);
}

TEST_F(LogStoreTest, ReopenRebuildsIndexAndTruncatesTornTail) {
  ASSERT_TRUE(store_->Append("9", 2, 3, 0, {"one", "two"}).ok());
  store_.reset();
  {
    std::ofstream f(dir_ / "9.log", std::ios::app | std::ios::binary);
    f.write("\x02\x00\x00\x00garbage", 11);  // a torn record header
  }
  Reopen();
  EXPECT_EQ(store_->RecordCount("9"), 2u);
  EXPECT_EQ(store_->NextSeq("9", 2, 3), 2u);
  EXPECT_EQ(*store_->Append("9", 2, 3, 2, {"three"}), 3u);
  auto all = store_->Read("9", 0, -1, -1, 100);
  EXPECT_EQ(Lines(*all), (std::vector<std::string>{"3:one", "3:two", "3:three"}));
}

}  // namespace
}  // namespace jobctl::controller
