#include "controller/sqlite_metric_store.h"

#include <sqlite3.h>

namespace jobctl::controller {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS metric_points (
  job_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  rank INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  name TEXT NOT NULL,
  step INTEGER NOT NULL,
  value REAL NOT NULL,
  time_ms INTEGER NOT NULL,
  PRIMARY KEY (job_id, attempt, rank, seq)) WITHOUT ROWID;
)sql";

constexpr const char* kInsert =
    "INSERT OR IGNORE INTO metric_points (job_id, attempt, rank, seq, name, step, value, "
    "time_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
constexpr const char* kMaxSeq =
    "SELECT MAX(seq) FROM metric_points WHERE job_id = ?1 AND attempt = ?2 AND rank = ?3";
constexpr const char* kReadAll =
    "SELECT attempt, rank, name, step, value, time_ms FROM metric_points WHERE job_id = ?1 "
    "ORDER BY name, attempt, rank, step, seq";
constexpr const char* kReadName =
    "SELECT attempt, rank, name, step, value, time_ms FROM metric_points WHERE job_id = ?1 AND "
    "name = ?2 ORDER BY name, attempt, rank, step, seq";

void BindText(sqlite3_stmt* s, int i, const std::string& text) {
  sqlite3_bind_text(s, i, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
}

class ResetOnExit {
 public:
  explicit ResetOnExit(sqlite3_stmt* s) : s_(s) {}
  ~ResetOnExit() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  sqlite3_stmt* s_;
};

}  // namespace

Result<std::unique_ptr<SqliteMetricStore>> SqliteMetricStore::Open(const std::string& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return UnavailableError("cannot open metrics database " + path + ": " + message);
  }
  std::unique_ptr<SqliteMetricStore> store(new SqliteMetricStore(db, path));
  sqlite3_busy_timeout(db, 5000);
  JOBCTL_RETURN_IF_ERROR(store->Exec("PRAGMA journal_mode = WAL"));
  JOBCTL_RETURN_IF_ERROR(store->Exec("PRAGMA synchronous = NORMAL"));
  JOBCTL_RETURN_IF_ERROR(store->Exec(kSchema));
  return store;
}

SqliteMetricStore::~SqliteMetricStore() {
  if (in_transaction_) Exec("ROLLBACK").ok();
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

Status SqliteMetricStore::Error(int rc, const std::string& what) const {
  std::string message = "metrics database " + path_ + ": " + what + ": " + sqlite3_errmsg(db_);
  if ((rc & 0xff) == SQLITE_FULL) return ResourceExhaustedError(message);
  return UnavailableError(message);
}

Status SqliteMetricStore::Exec(const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  sqlite3_free(err);
  if (rc != SQLITE_OK) return Error(rc, std::string("executing ") + std::string(sql).substr(0, 40));
  return Status::Ok();
}

Result<sqlite3_stmt*> SqliteMetricStore::Prepare(const char* sql) {
  for (auto& [text, stmt] : statements_) {
    if (text == sql) return stmt;
  }
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr);
  if (rc != SQLITE_OK) return Error(rc, "preparing a statement");
  statements_.emplace_back(sql, stmt);
  return stmt;
}

Result<uint64_t> SqliteMetricStore::NextSeq(const Key& key) {
  auto it = next_seq_.find(key);
  if (it != next_seq_.end()) return it->second;
  JOBCTL_ASSIGN_OR_RETURN(sqlite3_stmt * s, Prepare(kMaxSeq));
  ResetOnExit reset(s);
  BindText(s, 1, std::get<0>(key));
  sqlite3_bind_int(s, 2, std::get<1>(key));
  sqlite3_bind_int(s, 3, std::get<2>(key));
  int rc = sqlite3_step(s);
  if (rc != SQLITE_ROW) return Error(rc, "reading the last seq");
  uint64_t next = sqlite3_column_type(s, 0) == SQLITE_NULL
                      ? 0
                      : static_cast<uint64_t>(sqlite3_column_int64(s, 0)) + 1;
  next_seq_[key] = next;
  return next;
}

Result<uint64_t> SqliteMetricStore::Append(const std::string& job_id, int attempt, int rank,
                                           uint64_t first_seq,
                                           const std::vector<protocol::MetricPoint>& points) {
  Key key{job_id, attempt, rank};
  JOBCTL_ASSIGN_OR_RETURN(uint64_t next, NextSeq(key));
  if (first_seq > next || first_seq + points.size() <= next) return next;
  if (!in_transaction_) {
    JOBCTL_RETURN_IF_ERROR(Exec("BEGIN"));
    in_transaction_ = true;
  }
  JOBCTL_ASSIGN_OR_RETURN(sqlite3_stmt * s, Prepare(kInsert));
  for (uint64_t i = next - first_seq; i < points.size(); ++i) {
    const auto& p = points[i];
    ResetOnExit reset(s);
    BindText(s, 1, job_id);
    sqlite3_bind_int(s, 2, attempt);
    sqlite3_bind_int(s, 3, rank);
    sqlite3_bind_int64(s, 4, static_cast<int64_t>(first_seq + i));
    BindText(s, 5, p.name);
    sqlite3_bind_int64(s, 6, p.step);
    sqlite3_bind_double(s, 7, p.value);
    sqlite3_bind_int64(s, 8, p.time_ms);
    int rc = sqlite3_step(s);
    if (rc != SQLITE_DONE) return Error(rc, "storing a point of job " + job_id);
  }
  touched_.push_back(key);
  next = first_seq + points.size();
  next_seq_[key] = next;
  return next;
}

Status SqliteMetricStore::Commit() {
  if (!in_transaction_) return Status::Ok();
  Status s = Exec("COMMIT");
  if (!s.ok()) return s;
  in_transaction_ = false;
  touched_.clear();
  return Status::Ok();
}

void SqliteMetricStore::Rollback() {
  if (in_transaction_) {
    Exec("ROLLBACK").ok();
    in_transaction_ = false;
  }
  for (const auto& key : touched_) next_seq_.erase(key);
  touched_.clear();
}

Result<std::vector<protocol::MetricPointInfo>> SqliteMetricStore::Read(const std::string& job_id,
                                                                       const std::string& name) {
  JOBCTL_ASSIGN_OR_RETURN(sqlite3_stmt * s, Prepare(name.empty() ? kReadAll : kReadName));
  ResetOnExit reset(s);
  BindText(s, 1, job_id);
  if (!name.empty()) BindText(s, 2, name);
  std::vector<protocol::MetricPointInfo> out;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    protocol::MetricPointInfo p;
    p.attempt = sqlite3_column_int(s, 0);
    p.rank = sqlite3_column_int(s, 1);
    const unsigned char* text = sqlite3_column_text(s, 2);
    p.name = text ? std::string(reinterpret_cast<const char*>(text),
                                static_cast<size_t>(sqlite3_column_bytes(s, 2)))
                  : std::string();
    p.step = sqlite3_column_int64(s, 3);
    p.value = sqlite3_column_double(s, 4);
    p.time_ms = sqlite3_column_int64(s, 5);
    out.push_back(std::move(p));
  }
  if (rc != SQLITE_DONE) return Error(rc, "reading the points of job " + job_id);
  return out;
}

}  // namespace jobctl::controller
