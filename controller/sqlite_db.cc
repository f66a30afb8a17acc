#include "controller/sqlite_db.h"

#include <sqlite3.h>

namespace jobctl::controller {

SqliteStatement::SqliteStatement(sqlite3_stmt* stmt, std::string db_path)
    : stmt_(stmt), db_path_(std::move(db_path)) {}

SqliteStatement::~SqliteStatement() { sqlite3_finalize(stmt_); }

SqliteStatement& SqliteStatement::Bind(int i, std::string_view text) {
  sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}

SqliteStatement& SqliteStatement::Bind(int i, int64_t value) {
  sqlite3_bind_int64(stmt_, i, value);
  return *this;
}

Result<bool> SqliteStatement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  sqlite3* db = sqlite3_db_handle(stmt_);
  Status s = rc == SQLITE_FULL ? ResourceExhaustedError(db_path_ + ": disk full")
                               : UnavailableError(db_path_ + ": " + sqlite3_errmsg(db));
  return s;
}

Status SqliteStatement::Run() {
  Status status;
  while (true) {
    auto row = Step();
    if (!row.ok()) {
      status = row.status();
      break;
    }
    if (!*row) break;
  }
  // Ready to be bound and run again.
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  return status;
}

std::string SqliteStatement::Text(int column) const {
  const unsigned char* p = sqlite3_column_text(stmt_, column);
  return p ? std::string(reinterpret_cast<const char*>(p),
                         static_cast<size_t>(sqlite3_column_bytes(stmt_, column)))
           : std::string();
}

int64_t SqliteStatement::Int(int column) const { return sqlite3_column_int64(stmt_, column); }

Result<std::unique_ptr<SqliteDb>> SqliteDb::Open(const std::string& path,
                                                 const std::string& schema) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (rc != SQLITE_OK) {
    std::string why = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return UnavailableError("cannot open " + path + ": " + why);
  }
  std::unique_ptr<SqliteDb> out(new SqliteDb(db, path));
  sqlite3_busy_timeout(db, 5000);
  JOBCTL_RETURN_IF_ERROR(out->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"));
  JOBCTL_RETURN_IF_ERROR(out->Exec(schema));
  return out;
}

SqliteDb::~SqliteDb() {
  cached_.clear();  // finalized before the connection closes
  sqlite3_close(db_);
}

Status SqliteDb::Exec(const std::string& sql) {
  char* error = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
  if (rc == SQLITE_OK) return Status::Ok();
  std::string why = error ? error : sqlite3_errstr(rc);
  sqlite3_free(error);
  if (rc == SQLITE_FULL) return ResourceExhaustedError(path_ + ": disk full");
  return UnavailableError(path_ + ": " + why);
}

Result<std::unique_ptr<SqliteStatement>> SqliteDb::Prepare(const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) return InternalError(path_ + ": " + sqlite3_errmsg(db_) + " in: " + sql);
  return std::make_unique<SqliteStatement>(stmt, path_);
}

Result<SqliteStatement*> SqliteDb::Cached(const std::string& sql) {
  auto it = cached_.find(sql);
  if (it != cached_.end()) return it->second.get();
  JOBCTL_ASSIGN_OR_RETURN(auto stmt, Prepare(sql));
  SqliteStatement* out = stmt.get();
  cached_.emplace(sql, std::move(stmt));
  return out;
}

namespace {

// BEGIN and COMMIT from the statement cache: parsing them on every
// transaction cost more than running them.
Status RunCached(SqliteDb* db, const std::string& sql) {
  JOBCTL_ASSIGN_OR_RETURN(SqliteStatement * s, db->Cached(sql));
  return s->Run();
}

}  // namespace

SqliteTransaction::SqliteTransaction(SqliteDb* db) : db_(db), begun_(RunCached(db, "BEGIN")) {}

SqliteTransaction::~SqliteTransaction() {
  if (begun_.ok() && !done_) (void)db_->Exec("ROLLBACK");
}

Status SqliteTransaction::Commit() {
  JOBCTL_RETURN_IF_ERROR(begun_);
  done_ = true;
  Status s = RunCached(db_, "COMMIT");
  if (!s.ok()) (void)db_->Exec("ROLLBACK");
  return s;
}

}  // namespace jobctl::controller
