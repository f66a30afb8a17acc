#include "agent/attempt_dir_remover.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <system_error>

namespace jobctl::agent {
namespace {

// True when `path` names something strictly inside `root` (both lexically
// normal; no "..", not `root` itself).
bool Inside(const std::filesystem::path& root, const std::filesystem::path& path) {
  if (root.empty() || path.is_absolute() != root.is_absolute()) return false;
  auto rel = path.lexically_relative(root);
  if (rel.empty() || rel == ".") return false;
  for (const auto& part : rel) {
    if (part == "..") return false;
  }
  return true;
}

}  // namespace

AttemptDirRemover::AttemptDirRemover(std::string root)
    : root_(std::filesystem::path(std::move(root)).lexically_normal()) {
  // "jobs/" would make every path inside it look outside ("../x").
  if (!root_.has_filename() && root_.has_relative_path()) root_ = root_.parent_path();
}

AttemptDirRemover::~AttemptDirRemover() { thread_.join(); }

bool AttemptDirRemover::Remove(const std::string& path) {
  auto p = std::filesystem::path(path).lexically_normal();
  if (!Inside(root_, p)) {
    spdlog::error("not deleting {}: not inside {}", path, root_.string());
    return false;
  }
  boost::asio::post(thread_, [p = std::move(p)] {
    std::error_code ec;
    std::filesystem::remove_all(p, ec);
    if (ec) spdlog::warn("cannot delete attempt directory {}: {}", p.string(), ec.message());
  });
  return true;
}

}  // namespace jobctl::agent
