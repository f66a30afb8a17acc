#include "controller/sqlite_state_store.h"

#include <sqlite3.h>

#include <charconv>

namespace jobctl::controller {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
  id INTEGER PRIMARY KEY,
  spec_json TEXT NOT NULL,
  state TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  priority INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  owner TEXT NOT NULL,
  end_reason TEXT NOT NULL,
  code_sha256 TEXT NOT NULL,
  placement_json TEXT NOT NULL,
  attempt_started_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS transitions (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id INTEGER NOT NULL,
  from_state TEXT NOT NULL,
  to_state TEXT NOT NULL,
  time_ms INTEGER NOT NULL,
  attempt INTEGER NOT NULL,
  reason TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS transitions_by_job ON transitions (job_id, seq);
CREATE TABLE IF NOT EXISTS rank_exits (
  job_id INTEGER NOT NULL,
  attempt INTEGER NOT NULL,
  rank INTEGER NOT NULL,
  node_id TEXT NOT NULL,
  exit_code INTEGER NOT NULL,
  signal INTEGER NOT NULL,
  time_ms INTEGER NOT NULL,
  PRIMARY KEY (job_id, attempt, rank));
INSERT OR IGNORE INTO meta (key, value) VALUES ('last_job_id', 0);
)sql";

constexpr const char* kInsertJob =
    "INSERT INTO jobs (id, spec_json, state, attempt, priority, created_ms, updated_ms, owner, "
    "end_reason, code_sha256, placement_json, attempt_started_ms) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
// The spec (?2) is the one InsertJob stored: a job's spec never changes, so
// updates do not serialize it again (three times per job).
constexpr const char* kUpdateJob =
    "UPDATE jobs SET state = ?3, attempt = ?4, priority = ?5, created_ms = ?6, "
    "updated_ms = ?7, owner = ?8, end_reason = ?9, code_sha256 = ?10, placement_json = ?11, "
    "attempt_started_ms = ?12 WHERE id = ?1";
constexpr const char* kBumpLastId =
    "UPDATE meta SET value = ?1 WHERE key = 'last_job_id' AND value < ?1";
constexpr const char* kInsertTransition =
    "INSERT INTO transitions (job_id, from_state, to_state, time_ms, attempt, reason) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
constexpr const char* kInsertExit =
    "INSERT OR IGNORE INTO rank_exits (job_id, attempt, rank, node_id, exit_code, signal, "
    "time_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
constexpr const char* kBegin = "BEGIN";
constexpr const char* kCommit = "COMMIT";
constexpr const char* kLastId = "SELECT value FROM meta WHERE key = 'last_job_id'";
constexpr const char* kLoadJobs =
    "SELECT id, spec_json, state, attempt, priority, created_ms, updated_ms, owner, end_reason, "
    "code_sha256, placement_json, attempt_started_ms FROM jobs ORDER BY id";
constexpr const char* kLoadTransitions =
    "SELECT from_state, to_state, time_ms, attempt, reason FROM transitions WHERE job_id = ?1 "
    "ORDER BY seq";
constexpr const char* kLoadExits =
    "SELECT rank, node_id, exit_code, signal, time_ms FROM rank_exits WHERE job_id = ?1 AND "
    "attempt = ?2 ORDER BY rank";

Result<int64_t> ParseId(const std::string& id) {
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(id.data(), id.data() + id.size(), value);
  if (id.empty() || ec != std::errc() || ptr != id.data() + id.size() || value <= 0) {
    return InvalidArgumentError("job id '" + id + "' is not a positive decimal integer");
  }
  return value;
}

void BindText(sqlite3_stmt* s, int i, const std::string& text) {
  sqlite3_bind_text(s, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

std::string ColumnText(sqlite3_stmt* s, int i) {
  const unsigned char* p = sqlite3_column_text(s, i);
  return p ? std::string(reinterpret_cast<const char*>(p),
                         static_cast<size_t>(sqlite3_column_bytes(s, i)))
           : std::string();
}

// Resets a statement when it leaves scope, so it can run again.
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

Result<std::unique_ptr<SqliteStateStore>> SqliteStateStore::Open(const std::string& path,
                                                                 Sync sync) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return UnavailableError("cannot open state database " + path + ": " + message);
  }
  std::unique_ptr<SqliteStateStore> store(new SqliteStateStore(db, path));
  sqlite3_busy_timeout(db, 5000);
  JOBCTL_RETURN_IF_ERROR(store->Exec("PRAGMA journal_mode = WAL"));
  JOBCTL_RETURN_IF_ERROR(store->Exec(sync == Sync::kFull ? "PRAGMA synchronous = FULL"
                                                         : "PRAGMA synchronous = NORMAL"));
  JOBCTL_RETURN_IF_ERROR(store->Exec(kSchema));
  return store;
}

SqliteStateStore::SqliteStateStore(sqlite3* db, std::string path)
    : db_(db), path_(std::move(path)) {}

SqliteStateStore::~SqliteStateStore() {
  if (in_transaction_) Exec("ROLLBACK").ok();
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

Status SqliteStateStore::Error(int rc, const std::string& what) const {
  std::string message = "state database " + path_ + ": " + what + ": " + sqlite3_errmsg(db_);
  int primary = rc & 0xff;
  if (primary == SQLITE_FULL) return ResourceExhaustedError(message);
  if (primary == SQLITE_CONSTRAINT) return AlreadyExistsError(message);
  return UnavailableError(message);
}

Status SqliteStateStore::Exec(const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  sqlite3_free(err);
  if (rc != SQLITE_OK) return Error(rc, std::string("executing ") + std::string(sql).substr(0, 40));
  return Status::Ok();
}

Result<sqlite3_stmt*> SqliteStateStore::Prepare(const char* sql) {
  for (auto& [text, stmt] : statements_) {
    if (text == sql) return stmt;
  }
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr);
  if (rc != SQLITE_OK) return Error(rc, "preparing a statement");
  statements_.emplace_back(sql, stmt);
  return stmt;
}

Status SqliteStateStore::Run(const char* sql) {
  JOBCTL_ASSIGN_OR_RETURN(sqlite3_stmt * s, Prepare(sql));
  int rc = sqlite3_step(s);
  Status status = rc == SQLITE_DONE ? Status::Ok() : Error(rc, std::string("executing ") + sql);
  sqlite3_reset(s);
  return status;
}

Status SqliteStateStore::EnsureTransaction() {
  if (in_transaction_) return Status::Ok();
  JOBCTL_RETURN_IF_ERROR(Run(kBegin));
  in_transaction_ = true;
  return Status::Ok();
}

Status SqliteStateStore::WriteJobRow(sqlite3_stmt* s, const JobRecord& job, bool with_spec) {
  ResetOnExit reset(s);
  JOBCTL_ASSIGN_OR_RETURN(int64_t id, ParseId(job.id));
  sqlite3_bind_int64(s, 1, id);
  if (with_spec) BindText(s, 2, nlohmann::json(job.spec).dump());
  BindText(s, 3, std::string(JobStateName(job.state)));
  sqlite3_bind_int(s, 4, job.attempt);
  sqlite3_bind_int(s, 5, job.priority);
  sqlite3_bind_int64(s, 6, job.created_ms);
  sqlite3_bind_int64(s, 7, job.updated_ms);
  BindText(s, 8, job.owner);
  BindText(s, 9, job.end_reason);
  BindText(s, 10, job.code_sha256);
  BindText(s, 11, job.placement_json);
  sqlite3_bind_int64(s, 12, job.attempt_started_ms);
  int rc = sqlite3_step(s);
  if (rc != SQLITE_DONE) return Error(rc, "writing job " + job.id);
  return Status::Ok();
}

Status SqliteStateStore::InsertJob(const JobRecord& job, const protocol::StateTransition& first) {
  JOBCTL_ASSIGN_OR_RETURN(int64_t id, ParseId(job.id));
  JOBCTL_RETURN_IF_ERROR(EnsureTransaction());
  JOBCTL_RETURN_IF_ERROR(Exec("SAVEPOINT insert_job"));
  auto body = [&]() -> Status {
    JOBCTL_ASSIGN_OR_RETURN(sqlite3_stmt * insert, Prepare(kInsertJob));
    JOBCTL_RETURN_IF_ERROR(WriteJobRow(insert, job, /*with_spec=*/true));
    JOBCTL_ASSIGN_OR_RETURN(sqlite3_stmt * bump, Prepare(kBumpLastId));
    {
      ResetOnExit reset(bump);
      sqlite3_bind_int64(bump, 1, id);
      int rc = sqlite3_step(bump);
      if (rc != SQLITE_DONE) return Error(rc, "advancing the job id counter");
    }
    return AddTransition(job.id, first);
  };
  Status status = body();
  if (!status.ok()) {
    Exec("ROLLBACK TO insert_job").ok();
    Exec("RELEASE insert_job").ok();
    return status;
  }
  return Exec("RELEASE insert_job");
}

Status SqliteStateStore::UpdateJob(const JobRecord& job) {
  JOBCTL_RETURN_IF_ERROR(EnsureTransaction());
  JOBCTL_ASSIGN_OR_RETURN(sqlite3_stmt * update, Prepare(kUpdateJob));
  JOBCTL_RETURN_IF_ERROR(WriteJobRow(update, job, /*with_spec=*/false));
  if (sqlite3_changes(db_) == 0) return NotFoundError("job " + job.id + " is not stored");
  return Status::Ok();
}

Status SqliteStateStore::AddTransition(const std::string& job_id,
                                       const protocol::StateTransition& t) {
  JOBCTL_ASSIGN_OR_RETURN(int64_t id, ParseId(job_id));
  JOBCTL_RETURN_IF_ERROR(EnsureTransaction());
  JOBCTL_ASSIGN_OR_RETURN(sqlite3_stmt * s, Prepare(kInsertTransition));
  ResetOnExit reset(s);
  sqlite3_bind_int64(s, 1, id);
  BindText(s, 2, t.from);
  BindText(s, 3, t.to);
  sqlite3_bind_int64(s, 4, t.time_ms);
  sqlite3_bind_int(s, 5, t.attempt);
  BindText(s, 6, t.reason);
  int rc = sqlite3_step(s);
  if (rc != SQLITE_DONE) return Error(rc, "storing a transition of job " + job_id);
  return Status::Ok();
}

Status SqliteStateStore::AddRankExit(const RankExitRecord& e) {
  JOBCTL_ASSIGN_OR_RETURN(int64_t id, ParseId(e.job_id));
  JOBCTL_RETURN_IF_ERROR(EnsureTransaction());
  JOBCTL_ASSIGN_OR_RETURN(sqlite3_stmt * s, Prepare(kInsertExit));
  ResetOnExit reset(s);
  sqlite3_bind_int64(s, 1, id);
  sqlite3_bind_int(s, 2, e.attempt);
  sqlite3_bind_int(s, 3, e.rank);
  BindText(s, 4, e.node_id);
  sqlite3_bind_int(s, 5, e.exit_code);
  sqlite3_bind_int(s, 6, e.signal);
  sqlite3_bind_int64(s, 7, e.time_ms);
  int rc = sqlite3_step(s);
  if (rc != SQLITE_DONE) return Error(rc, "storing a rank exit of job " + e.job_id);
  return Status::Ok();
}

Status SqliteStateStore::Commit() {
  if (!in_transaction_) return Status::Ok();
  Status status = Run(kCommit);
  if (!status.ok()) {
    Exec("ROLLBACK").ok();
  }
  in_transaction_ = false;
  return status;
}

void SqliteStateStore::Rollback() {
  if (!in_transaction_) return;
  Exec("ROLLBACK").ok();
  in_transaction_ = false;
}

Result<uint64_t> SqliteStateStore::LastJobId() {
  JOBCTL_ASSIGN_OR_RETURN(sqlite3_stmt * s, Prepare(kLastId));
  ResetOnExit reset(s);
  int rc = sqlite3_step(s);
  if (rc != SQLITE_ROW) return Error(rc, "reading the job id counter");
  return static_cast<uint64_t>(sqlite3_column_int64(s, 0));
}

Result<std::vector<JobRecord>> SqliteStateStore::LoadJobs() {
  JOBCTL_ASSIGN_OR_RETURN(sqlite3_stmt * s, Prepare(kLoadJobs));
  ResetOnExit reset(s);
  std::vector<JobRecord> jobs;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    JobRecord job;
    job.id = std::to_string(sqlite3_column_int64(s, 0));
    try {
      job.spec = nlohmann::json::parse(ColumnText(s, 1)).get<JobSpec>();
    } catch (const std::exception& e) {
      return InternalError("state database " + path_ + ": job " + job.id +
                           " has a corrupt spec: " + e.what());
    }
    auto state = ParseJobState(ColumnText(s, 2));
    if (!state)
      return InternalError("state database " + path_ + ": job " + job.id +
                           " has an unknown state '" + ColumnText(s, 2) + "'");
    job.state = *state;
    job.attempt = sqlite3_column_int(s, 3);
    job.priority = sqlite3_column_int(s, 4);
    job.created_ms = sqlite3_column_int64(s, 5);
    job.updated_ms = sqlite3_column_int64(s, 6);
    job.owner = ColumnText(s, 7);
    job.end_reason = ColumnText(s, 8);
    job.code_sha256 = ColumnText(s, 9);
    job.placement_json = ColumnText(s, 10);
    job.attempt_started_ms = sqlite3_column_int64(s, 11);
    jobs.push_back(std::move(job));
  }
  if (rc != SQLITE_DONE) return Error(rc, "loading jobs");
  return jobs;
}

Result<std::vector<protocol::StateTransition>> SqliteStateStore::LoadTransitions(
    const std::string& job_id) {
  JOBCTL_ASSIGN_OR_RETURN(int64_t id, ParseId(job_id));
  JOBCTL_ASSIGN_OR_RETURN(sqlite3_stmt * s, Prepare(kLoadTransitions));
  ResetOnExit reset(s);
  sqlite3_bind_int64(s, 1, id);
  std::vector<protocol::StateTransition> out;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    protocol::StateTransition t;
    t.from = ColumnText(s, 0);
    t.to = ColumnText(s, 1);
    t.time_ms = sqlite3_column_int64(s, 2);
    t.attempt = sqlite3_column_int(s, 3);
    t.reason = ColumnText(s, 4);
    out.push_back(std::move(t));
  }
  if (rc != SQLITE_DONE) return Error(rc, "loading transitions of job " + job_id);
  return out;
}

Result<std::vector<RankExitRecord>> SqliteStateStore::LoadRankExits(const std::string& job_id,
                                                                    int attempt) {
  JOBCTL_ASSIGN_OR_RETURN(int64_t id, ParseId(job_id));
  JOBCTL_ASSIGN_OR_RETURN(sqlite3_stmt * s, Prepare(kLoadExits));
  ResetOnExit reset(s);
  sqlite3_bind_int64(s, 1, id);
  sqlite3_bind_int(s, 2, attempt);
  std::vector<RankExitRecord> out;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    RankExitRecord e;
    e.job_id = job_id;
    e.attempt = attempt;
    e.rank = sqlite3_column_int(s, 0);
    e.node_id = ColumnText(s, 1);
    e.exit_code = sqlite3_column_int(s, 2);
    e.signal = sqlite3_column_int(s, 3);
    e.time_ms = sqlite3_column_int64(s, 4);
    out.push_back(std::move(e));
  }
  if (rc != SQLITE_DONE) return Error(rc, "loading rank exits of job " + job_id);
  return out;
}

}  // namespace jobctl::controller
