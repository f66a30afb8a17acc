// AttemptDirPool: attempts' work directories, recycled from one attempt to
// the next when an attempt leaves its directory as it found it.
//
// A new directory is a new inode, and ext4 without a journal makes every
// inode allocation search past the inodes freed in the last minutes: for a
// short rank the two mkdirs of its attempt (the work directory and the
// rank's outputs directory) were the agent's largest cost after starting
// the rank's shell. Release() takes a finished attempt's directory into the
// pool (paths::AttemptDirPoolDir, mode 0700) by one rename when it holds
// nothing but empty directories (the ranks' outputs directories of an
// attempt that wrote no file), so it neither lingers in jobs/ nor costs an
// inode; anything else stays where it is, as without a pool. Acquire()
// renames an idle directory to the new attempt's path and renames, makes or
// removes its subdirectories to the names asked for; with the pool empty it
// makes them (mkdir). Release() reads every directory it takes (one
// getdents64 each): a directory that holds a file is never handed to
// another attempt. (A process that escaped its rank's process group runs
// as the agent's user and could write anywhere in the work directory, so a
// second check at Acquire() would protect nothing more.)
//
// Thread-safety: belongs to one thread (the agent's event loop).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "common/status.h"

namespace jobctl::agent {

class AttemptDirPool {
 public:
  // Creates `dir` if needed and deletes what an earlier run left there.
  // With max_idle 0 nothing is recycled.
  explicit AttemptDirPool(std::string dir, size_t max_idle = 64);
  // Deletes the idle directories.
  ~AttemptDirPool();
  AttemptDirPool(const AttemptDirPool&) = delete;
  AttemptDirPool& operator=(const AttemptDirPool&) = delete;

  // Makes `attempt_dir` (and its parents when missing) holding an empty
  // directory for each name in `subdirs`. An existing `attempt_dir` is kept, with what it
  // holds. Errors: kInternal naming the directory that could not be made.
  Status Acquire(const std::string& attempt_dir, const std::vector<std::string>& subdirs);
  // Takes `attempt_dir` into the pool when it holds only empty directories
  // (few enough) and the pool has room. Returns whether it did; otherwise
  // `attempt_dir` is left untouched.
  bool Release(const std::string& attempt_dir);

  size_t idle() const { return idle_.size(); }

 private:
  struct Idle {
    std::string path;                  // in dir_
    std::vector<std::string> subdirs;  // the empty directories it holds
  };
  // Turns the subdirectories `have` of `attempt_dir` into `want`.
  static bool Reshape(const std::string& attempt_dir, std::vector<std::string> have,
                      const std::vector<std::string>& want);

  std::string dir_;
  size_t max_idle_;
  bool dir_ok_ = false;
  std::vector<Idle> idle_;
  size_t next_name_ = 0;
};

}  // namespace jobctl::agent
