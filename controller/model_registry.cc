#include "controller/model_registry.h"

#include <nlohmann/json.hpp>

namespace jobctl::controller {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS model_versions (
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  job_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  path TEXT NOT NULL,
  description TEXT NOT NULL,
  tags_json TEXT NOT NULL,
  files_json TEXT NOT NULL,
  size INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY (name, version));
)sql";

constexpr const char* kColumns =
    "name, version, job_id, attempt, path, description, tags_json, files_json, size, created_ms";

protocol::ModelVersion FromRow(const SqliteStatement& q) {
  protocol::ModelVersion m;
  m.name = q.Text(0);
  m.version = static_cast<int>(q.Int(1));
  m.job_id = q.Text(2);
  m.attempt = static_cast<int>(q.Int(3));
  m.path = q.Text(4);
  m.description = q.Text(5);
  auto tags = nlohmann::json::parse(q.Text(6), nullptr, false);
  if (tags.is_object()) m.tags = tags.get<std::map<std::string, std::string>>();
  auto files = nlohmann::json::parse(q.Text(7), nullptr, false);
  if (files.is_array()) m.files = files.get<std::vector<protocol::OutputFile>>();
  m.size = q.Int(8);
  m.created_ms = q.Int(9);
  return m;
}

}  // namespace

Status ValidateModelName(const std::string& name) {
  auto ok_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  };
  bool ok = !name.empty() && name.size() <= 128 && ok_char(name[0]) && name[0] != '.' &&
            name[0] != '_' && name[0] != '-';
  for (char c : name) ok = ok && ok_char(c);
  if (!ok) {
    return InvalidArgumentError("model name '" + name +
                                "': use 1 to 128 letters, digits, '.', '_' or '-', starting "
                                "with a letter or digit");
  }
  return Status::Ok();
}

Result<std::unique_ptr<ModelRegistry>> ModelRegistry::Open(const std::string& db_path,
                                                           const Clock* clock) {
  JOBCTL_ASSIGN_OR_RETURN(auto db, SqliteDb::Open(db_path, kSchema));
  return std::unique_ptr<ModelRegistry>(new ModelRegistry(std::move(db), clock));
}

Result<protocol::ModelVersion> ModelRegistry::Register(protocol::ModelVersion m) {
  JOBCTL_RETURN_IF_ERROR(ValidateModelName(m.name));
  if (m.files.empty()) return InvalidArgumentError("model " + m.name + ": no files");
  SqliteTransaction tx(db_.get());
  JOBCTL_RETURN_IF_ERROR(tx.begun());
  JOBCTL_ASSIGN_OR_RETURN(
      auto q, db_->Prepare("SELECT COALESCE(MAX(version), 0) FROM model_versions WHERE name = ?1"));
  q->Bind(1, m.name);
  JOBCTL_ASSIGN_OR_RETURN(bool row, q->Step());
  m.version = row ? static_cast<int>(q->Int(0)) + 1 : 1;
  m.size = 0;
  for (const auto& f : m.files) m.size += f.size;
  m.created_ms = clock_->NowMillis();
  JOBCTL_ASSIGN_OR_RETURN(auto ins,
                          db_->Prepare(std::string("INSERT INTO model_versions (") + kColumns +
                                       ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"));
  JOBCTL_RETURN_IF_ERROR(ins->Bind(1, m.name)
                             .Bind(2, int64_t{m.version})
                             .Bind(3, m.job_id)
                             .Bind(4, int64_t{m.attempt})
                             .Bind(5, m.path)
                             .Bind(6, m.description)
                             .Bind(7, nlohmann::json(m.tags).dump())
                             .Bind(8, nlohmann::json(m.files).dump())
                             .Bind(9, m.size)
                             .Bind(10, m.created_ms)
                             .Run());
  JOBCTL_RETURN_IF_ERROR(tx.Commit());
  return m;
}

Result<std::vector<protocol::ModelSummary>> ModelRegistry::List() {
  JOBCTL_ASSIGN_OR_RETURN(
      auto q, db_->Prepare("SELECT v.name, v.version, c.n, v.created_ms, v.description FROM "
                           "model_versions v JOIN (SELECT name, MAX(version) AS latest, "
                           "COUNT(*) AS n FROM model_versions GROUP BY name) c ON v.name = "
                           "c.name AND v.version = c.latest ORDER BY v.name"));
  std::vector<protocol::ModelSummary> out;
  while (true) {
    JOBCTL_ASSIGN_OR_RETURN(bool row, q->Step());
    if (!row) break;
    out.push_back({q->Text(0), static_cast<int>(q->Int(1)), static_cast<int>(q->Int(2)), q->Int(3),
                   q->Text(4)});
  }
  return out;
}

Result<protocol::ModelVersion> ModelRegistry::Get(const std::string& name, int version) {
  std::string sql = std::string("SELECT ") + kColumns + " FROM model_versions WHERE name = ?1 " +
                    (version > 0 ? "AND version = ?2" : "ORDER BY version DESC LIMIT 1");
  JOBCTL_ASSIGN_OR_RETURN(auto q, db_->Prepare(sql));
  q->Bind(1, name);
  if (version > 0) q->Bind(2, int64_t{version});
  JOBCTL_ASSIGN_OR_RETURN(bool row, q->Step());
  if (!row) {
    if (version > 0) {
      JOBCTL_ASSIGN_OR_RETURN(auto versions, Versions(name));
      if (!versions.empty()) {
        return NotFoundError("model " + name + " has no version " + std::to_string(version) +
                             " (latest: " + std::to_string(versions.back()) + ")");
      }
    }
    return NotFoundError("model " + name + " does not exist");
  }
  return FromRow(*q);
}

Result<std::vector<int>> ModelRegistry::Versions(const std::string& name) {
  JOBCTL_ASSIGN_OR_RETURN(
      auto q, db_->Prepare("SELECT version FROM model_versions WHERE name = ?1 ORDER BY version"));
  q->Bind(1, name);
  std::vector<int> out;
  while (true) {
    JOBCTL_ASSIGN_OR_RETURN(bool row, q->Step());
    if (!row) break;
    out.push_back(static_cast<int>(q->Int(0)));
  }
  return out;
}

}  // namespace jobctl::controller
