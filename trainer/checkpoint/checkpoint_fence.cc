#include "trainer/checkpoint/checkpoint_fence.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>

#include "trainer/checkpoint/atomic_file.h"

namespace jobctl::trainer {
namespace {

std::string WriterPath(const std::string& dir) {
  return (std::filesystem::path(dir) / CheckpointFence::kFileName).string();
}

// The file's first line, or nullopt when it cannot be read.
std::optional<std::string> ReadWriter(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::string line;
  std::getline(in, line);
  return line;
}

}  // namespace

Result<CheckpointFence> CheckpointFence::Claim(const std::string& dir, const std::string& id) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return UnavailableError("cannot create the checkpoint folder " + dir + ": " + ec.message());
  RemoveTemporaryFiles(dir);
  const std::string text = id + "\n";
  JOBCTL_RETURN_IF_ERROR(WriteFileAtomically(WriterPath(dir), {{text.data(), text.size()}}));
  return CheckpointFence(dir, id);
}

Status CheckpointFence::Check() const {
  std::optional<std::string> writer = ReadWriter(WriterPath(dir_));
  if (writer.has_value() && *writer == id_) return Status::Ok();
  return FailedPreconditionError(
      "checkpoint folder " + dir_ + " was taken over by " +
      (writer.has_value() ? "\"" + *writer + "\"" : "nobody (" + WriterPath(dir_) + " is gone)") +
      "; this run (\"" + id_ + "\") stops so as not to write over a newer run's checkpoints");
}

std::string CheckpointFence::ProcessWriterId() {
  std::ostringstream id;
  for (const auto& [var, label] :
       {std::pair{"JOBCTL_JOB_ID", "job"}, std::pair{"JOBCTL_ATTEMPT", "attempt"},
        std::pair{"JOBCTL_NODE_ID", "node"}}) {
    const char* value = std::getenv(var);
    if (value != nullptr && *value != '\0') id << label << " " << value << " ";
  }
  char host[256] = "";
  if (::gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  host[sizeof(host) - 1] = '\0';
  std::random_device random;
  char nonce[17];
  std::snprintf(nonce, sizeof(nonce), "%08x%08x", random(), random());
  id << "host " << host << " pid " << ::getpid() << " " << nonce;
  return id.str();
}

}  // namespace jobctl::trainer
