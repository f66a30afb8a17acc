// AttemptDirRemover: deletes the work directories of finished attempts
// (paths::AttemptDir) on a thread of its own.
//
// An attempt's directory holds its unpacked code archive, its ranks'
// outputs folders (uploaded by then) and whatever the ranks wrote into
// their cwd: kept, a node that runs many jobs fills its disk. Deleting a
// large code tree or outputs folder costs one unlink per file, seconds for
// a big tree, which must not stall the agent's event loop (heartbeats, log
// shipping, other attempts' events): Remove() posts a
// std::filesystem::remove_all to one background thread, which deletes the
// directories one at a time, in the order asked. A failure (a file the
// agent's user cannot delete) is logged at warn with the path and leaves
// what could not be deleted. Only paths strictly inside `root` (the agent
// passes paths::JobsDir) are deleted; anything else is refused and logged,
// so a bad path can never take the work directory or more with it. The
// destructor waits for the removals asked for.
//
// Thread-safety: Remove() may be called from any thread; the removals run
// on the remover's own thread.
#pragma once

#include <boost/asio/thread_pool.hpp>
#include <filesystem>
#include <string>

namespace jobctl::agent {

class AttemptDirRemover {
 public:
  explicit AttemptDirRemover(std::string root);
  // Waits for every removal asked for.
  ~AttemptDirRemover();
  AttemptDirRemover(const AttemptDirRemover&) = delete;
  AttemptDirRemover& operator=(const AttemptDirRemover&) = delete;

  // Deletes `path` and everything in it, on the background thread (a path
  // that does not exist is fine). Returns false, deleting nothing, when
  // `path` is not strictly inside the root.
  bool Remove(const std::string& path);

 private:
  std::filesystem::path root_;  // lexically normal
  boost::asio::thread_pool thread_{1};
};

}  // namespace jobctl::agent
