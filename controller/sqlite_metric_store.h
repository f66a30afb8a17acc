// SqliteMetricStore: the durable MetricStore, in its own SQLite database
// (DATA_DIR/metrics.db, WAL journal, synchronous NORMAL: a killed controller
// loses nothing committed).
//
// Appends open a transaction lazily; Commit() ends it, so every batch of a
// server poll iteration shares one commit. The next expected seq of each
// (job, attempt, rank) is cached in memory after its first lookup;
// Rollback() forgets the cache entries the open batch touched.
//
// Thread-safety: not thread-safe; one thread owns the store.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "controller/metric_store.h"

struct sqlite3;
struct sqlite3_stmt;

namespace jobctl::controller {

class SqliteMetricStore final : public MetricStore {
 public:
  static Result<std::unique_ptr<SqliteMetricStore>> Open(const std::string& path);
  ~SqliteMetricStore() override;
  SqliteMetricStore(const SqliteMetricStore&) = delete;
  SqliteMetricStore& operator=(const SqliteMetricStore&) = delete;

  Result<uint64_t> Append(const std::string& job_id, int attempt, int rank, uint64_t first_seq,
                          const std::vector<protocol::MetricPoint>& points) override;
  Status Commit() override;
  void Rollback() override;
  Result<std::vector<protocol::MetricPointInfo>> Read(const std::string& job_id,
                                                      const std::string& name) override;

 private:
  using Key = std::tuple<std::string, int, int>;
  SqliteMetricStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  Status Exec(const char* sql);
  Status Error(int rc, const std::string& what) const;
  Result<sqlite3_stmt*> Prepare(const char* sql);
  Result<uint64_t> NextSeq(const Key& key);

  sqlite3* db_;
  std::string path_;
  bool in_transaction_ = false;
  std::map<Key, uint64_t> next_seq_;
  std::vector<Key> touched_;  // keys whose next_seq_ changed in the open batch
  std::vector<std::pair<const char*, sqlite3_stmt*>> statements_;
};

}  // namespace jobctl::controller
