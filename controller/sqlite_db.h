// SqliteDb: a small RAII wrapper over one SQLite connection (WAL mode) for
// the stores that keep their own database file (artifact manifests, the
// model registry). Errors become Status values naming the database file.
//
// Thread-safety: not thread-safe; one thread owns a connection.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace jobctl::controller {

class SqliteStatement {
 public:
  SqliteStatement(sqlite3_stmt* stmt, std::string db_path);
  ~SqliteStatement();
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  // Parameters are numbered from 1.
  SqliteStatement& Bind(int i, std::string_view text);
  SqliteStatement& Bind(int i, int64_t value);
  // true: a row is ready to read; false: done.
  Result<bool> Step();
  // Runs to completion, then resets the statement for the next run.
  Status Run();
  std::string Text(int column) const;
  int64_t Int(int column) const;

 private:
  sqlite3_stmt* stmt_;
  std::string db_path_;
};

class SqliteDb {
 public:
  // Opens (creating) the file and runs `schema` (statements separated by ';').
  static Result<std::unique_ptr<SqliteDb>> Open(const std::string& path, const std::string& schema);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  Status Exec(const std::string& sql);
  Result<std::unique_ptr<SqliteStatement>> Prepare(const std::string& sql);
  // A statement prepared once per connection and kept (parsing costs more
  // than running a one-row write), for statements run with Run(): it is
  // reset after each run. Owned by the connection.
  Result<SqliteStatement*> Cached(const std::string& sql);
  const std::string& path() const { return path_; }

 private:
  SqliteDb(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::string path_;
  std::map<std::string, std::unique_ptr<SqliteStatement>, std::less<>> cached_;
};

// Runs BEGIN on construction and ROLLBACK on destruction unless Commit() ran.
class SqliteTransaction {
 public:
  explicit SqliteTransaction(SqliteDb* db);
  ~SqliteTransaction();
  SqliteTransaction(const SqliteTransaction&) = delete;
  SqliteTransaction& operator=(const SqliteTransaction&) = delete;
  const Status& begun() const { return begun_; }
  Status Commit();

 private:
  SqliteDb* db_;
  Status begun_;
  bool done_ = false;
};

}  // namespace jobctl::controller
