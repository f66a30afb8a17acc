// SqliteDb: statements kept per connection (Cached).
#include "controller/sqlite_db.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

namespace jobctl::controller {
namespace {

class SqliteDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sqlite-db-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    auto db = SqliteDb::Open(dir_ + "/t.db", "CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
  }
  void TearDown() override {
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string dir_;
  std::unique_ptr<SqliteDb> db_;
};

TEST_F(SqliteDbTest, ACachedStatementIsPreparedOnceAndRunsAgainWithNewValues) {
  const std::string sql = "INSERT OR REPLACE INTO t (k, v) VALUES (?1, ?2)";
  auto first = db_->Cached(sql);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  for (int i = 0; i < 3; ++i) {
    auto again = db_->Cached(sql);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, *first);
    ASSERT_TRUE((*again)->Bind(1, "k" + std::to_string(i)).Bind(2, int64_t{i * 10}).Run().ok());
  }
  auto other = db_->Cached("DELETE FROM t WHERE k = ?1");
  ASSERT_TRUE(other.ok());
  EXPECT_NE(*other, *first);
  ASSERT_TRUE((*other)->Bind(1, "k1").Run().ok());

  auto rows = db_->Prepare("SELECT k, v FROM t ORDER BY k");
  ASSERT_TRUE(rows.ok());
  std::vector<std::pair<std::string, int64_t>> got;
  while (true) {
    auto row = (*rows)->Step();
    ASSERT_TRUE(row.ok());
    if (!*row) break;
    got.emplace_back((*rows)->Text(0), (*rows)->Int(1));
  }
  EXPECT_EQ(got, (std::vector<std::pair<std::string, int64_t>>{{"k0", 0}, {"k2", 20}}));
}

TEST_F(SqliteDbTest, ACachedStatementWithBadSqlIsAnErrorNamingIt) {
  auto bad = db_->Cached("INSERT INTO no_such_table VALUES (1)");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("no_such_table"), std::string::npos);
}

}  // namespace
}  // namespace jobctl::controller
