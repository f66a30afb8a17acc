// ModelRegistry: named, numbered model versions (models.db, SQLite).
//
// A version names a file or a folder of one job attempt's outputs and lists
// its files (path, size, sha256, mode); the bytes stay in the artifact
// store's blobs, so registering copies nothing. Versions of a name are
// numbered 1, 2, ... in registration order and never change.
//
// Thread-safety: not thread-safe; the server loop owns it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/protocol/messages.h"
#include "common/status.h"
#include "controller/sqlite_db.h"

namespace jobctl::controller {

// A model name: 1 to 128 of [A-Za-z0-9._-], starting with a letter or digit.
Status ValidateModelName(const std::string& name);

class ModelRegistry {
 public:
  static Result<std::unique_ptr<ModelRegistry>> Open(const std::string& db_path,
                                                     const Clock* clock);

  // Stores `model` (name, job_id, attempt, path, description, tags, files)
  // as the name's next version; returns it with version, size and
  // created_ms filled in.
  Result<protocol::ModelVersion> Register(protocol::ModelVersion model);
  // Every name's latest version, sorted by name.
  Result<std::vector<protocol::ModelSummary>> List();
  // version 0: the latest. kNotFound names what is missing.
  Result<protocol::ModelVersion> Get(const std::string& name, int version);
  Result<std::vector<int>> Versions(const std::string& name);

 private:
  ModelRegistry(std::unique_ptr<SqliteDb> db, const Clock* clock)
      : db_(std::move(db)), clock_(clock) {}
  std::unique_ptr<SqliteDb> db_;
  const Clock* clock_;
};

}  // namespace jobctl::controller
