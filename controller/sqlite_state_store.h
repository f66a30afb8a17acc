// SqliteStateStore: the durable StateStore (SQLite, WAL journal).
//
// Mutations open a transaction lazily; Commit() ends it, so all the
// mutations of one server poll iteration share one commit (group commit).
// InsertJob runs inside a SAVEPOINT so a failed insert leaves the batch as it
// was. SQLite errors (disk full, I/O) become RESOURCE_EXHAUSTED or
// UNAVAILABLE naming the database file.
//
// Thread-safety: not thread-safe; one thread owns the store.
#pragma once

#include <memory>
#include <string>

#include "controller/state_store.h"

struct sqlite3;
struct sqlite3_stmt;

namespace jobctl::controller {

class SqliteStateStore final : public StateStore {
 public:
  enum class Sync { kNormal, kFull };
  // Opens (creating if needed) the database at `path`.
  static Result<std::unique_ptr<SqliteStateStore>> Open(const std::string& path,
                                                        Sync sync = Sync::kNormal);
  ~SqliteStateStore() override;
  SqliteStateStore(const SqliteStateStore&) = delete;
  SqliteStateStore& operator=(const SqliteStateStore&) = delete;

  Status InsertJob(const JobRecord& job, const protocol::StateTransition& first) override;
  Status UpdateJob(const JobRecord& job) override;
  Status AddTransition(const std::string& job_id,
                       const protocol::StateTransition& transition) override;
  Status AddRankExit(const RankExitRecord& exit) override;
  Status Commit() override;
  void Rollback() override;
  Result<uint64_t> LastJobId() override;
  Result<std::vector<JobRecord>> LoadJobs() override;
  Result<std::vector<protocol::StateTransition>> LoadTransitions(
      const std::string& job_id) override;
  Result<std::vector<RankExitRecord>> LoadRankExits(const std::string& job_id,
                                                    int attempt) override;

 private:
  SqliteStateStore(sqlite3* db, std::string path);
  Status Exec(const char* sql);
  // Runs a statement without parameters through the statement cache (BEGIN
  // and COMMIT run once per iteration: parsing them each time cost more
  // than running them).
  Status Run(const char* sql);
  Status Error(int rc, const std::string& what) const;
  Status EnsureTransaction();
  // `with_spec`: bind the spec's JSON (?2); updates leave it as inserted.
  Status WriteJobRow(sqlite3_stmt* stmt, const JobRecord& job, bool with_spec);
  Result<sqlite3_stmt*> Prepare(const char* sql);

  sqlite3* db_;
  std::string path_;
  bool in_transaction_ = false;
  std::vector<std::pair<const char*, sqlite3_stmt*>> statements_;  // prepared once, by SQL text
};

}  // namespace jobctl::controller
