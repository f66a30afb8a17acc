#include "controller/paths.h"

#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace jobctl::controller::paths {
namespace {
std::string Join(std::string_view a, std::string_view b) {
  std::string out(a);
  if (!out.empty() && out.back() != '/') out.push_back('/');
  out.append(b);
  return out;
}
}  // namespace

std::string StateDbPath(std::string_view data_dir) { return Join(data_dir, "state.db"); }
std::string ArchivesDir(std::string_view data_dir) { return Join(data_dir, "archives"); }
std::string ArchiveTempDir(std::string_view data_dir) { return Join(ArchivesDir(data_dir), "tmp"); }
std::string ArchivePath(std::string_view data_dir, std::string_view sha256_hex) {
  return Join(ArchivesDir(data_dir), std::string(sha256_hex) + ".tar.gz");
}
std::string LogsDir(std::string_view data_dir) { return Join(data_dir, "logs"); }
std::string JobLogPath(std::string_view logs_dir, std::string_view job_id) {
  return Join(logs_dir, std::string(job_id) + ".log");
}
std::string ArtifactsDir(std::string_view data_dir) { return Join(data_dir, "artifacts"); }
std::string ArtifactsDbPath(std::string_view data_dir) {
  return Join(ArtifactsDir(data_dir), "artifacts.db");
}
std::string BlobsDir(std::string_view data_dir) { return Join(ArtifactsDir(data_dir), "blobs"); }
std::string BlobPath(std::string_view data_dir, std::string_view sha256_hex) {
  return Join(Join(BlobsDir(data_dir), sha256_hex.substr(0, 2)), sha256_hex);
}
std::string BlobTempDir(std::string_view data_dir) { return Join(ArtifactsDir(data_dir), "tmp"); }
std::string BlobTempPath(std::string_view data_dir, std::string_view sha256_hex) {
  return Join(BlobTempDir(data_dir), std::string(sha256_hex) + ".part");
}
std::string ModelsDbPath(std::string_view data_dir) { return Join(data_dir, "models.db"); }

std::string DefaultDataDir() {
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0') return "jobctl-controller";
  return Join(home, ".local/share/jobctl/controller");
}

Status CreateDataDirLayout(std::string_view data_dir) {
  for (const std::string& dir :
       {std::string(data_dir), ArchivesDir(data_dir), ArchiveTempDir(data_dir), LogsDir(data_dir)}) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return UnavailableError("cannot create directory " + dir + ": " + ec.message());
  }
  return Status::Ok();
}

}  // namespace jobctl::controller::paths
