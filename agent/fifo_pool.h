// FifoPool: the FIFOs (named pipes) of the ranks' metrics channels, recycled
// from one rank to the next instead of created and deleted for each.
//
// A new FIFO is a new inode, and a deleted one is an inode that every later
// inode allocation in its block group skips for the next minutes (ext4
// without a journal does so for each one it passes), so per-rank FIFO churn
// was a large share of the agent's CPU time for short ranks. Release()
// renames the FIFO into the pool directory (paths::FifoPoolDir, mode 0700)
// when nobody else holds it open: with the agent's own descriptor closed, a
// non-blocking reader sees end-of-file only when no writer is left, so a
// process that outlived its rank and still holds the FIFO never writes into
// another rank's channel. Acquire() renames an idle FIFO to the new rank's
// path (mkfifo when the pool is empty). A FIFO that cannot be recycled (a
// writer still holds it, the pool is full, a rename fails) is deleted, as
// without a pool.
//
// Thread-safety: belongs to one thread (the agent's event loop).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "common/status.h"

namespace jobctl::agent {

// Without a pool: mkfifo (mode 0666 whatever the umask; a leftover at `path`
// is replaced) and open for reading and writing, non-blocking and
// close-on-exec. Errors: kInternal naming the path.
Result<int> MakeFifo(const std::string& path);
// Without a pool: closes `fd` (when >= 0) and deletes the FIFO.
void DeleteFifo(const std::string& path, int fd);

class FifoPool {
 public:
  // Creates `dir` if needed and deletes what an earlier run left there.
  explicit FifoPool(std::string dir, size_t max_idle = 64);
  // Deletes the idle FIFOs.
  ~FifoPool();
  FifoPool(const FifoPool&) = delete;
  FifoPool& operator=(const FifoPool&) = delete;

  // Puts a FIFO at `path` and opens it, as MakeFifo (which it is when the
  // pool is empty). Returns the descriptor.
  Result<int> Acquire(const std::string& path);
  // Closes `fd` (from Acquire, drained by the caller) and takes the FIFO
  // away from `path`: into the pool, or deleted.
  void Release(const std::string& path, int fd);

  size_t idle() const { return idle_.size(); }

 private:
  std::string dir_;
  size_t max_idle_;
  bool dir_ok_ = false;
  std::vector<std::string> idle_;  // paths in dir_
  size_t next_name_ = 0;
};

}  // namespace jobctl::agent
