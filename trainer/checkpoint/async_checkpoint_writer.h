// AsyncCheckpointWriter: writes training checkpoints on a background
// thread, one at a time, so that the file write and its fsyncs overlap the
// next epoch's training instead of delaying it.
//
// Snapshot() waits for the previous write and copies the checkpoint's
// contents (CheckpointSnapshot) on the caller's thread; Write() returns at
// once, and a background thread writes the file atomically (WriteCheckpointSnapshot) and, once
// it is published, runs `after_commit` (e.g. printing the epoch's line, so
// that a line is only ever printed for an epoch a resume would not redo).
// A failed write is returned by the next Snapshot() or Wait(); `after_commit` does not run for it.
//
// Thread-safety: one owner thread calls the methods; `after_commit` runs on
// the background thread while the owner may be doing anything but waiting,
// so it must only touch what the owner leaves alone until its next Wait.
#pragma once

#include <functional>
#include <future>
#include <string>

#include "common/status.h"
#include "trainer/checkpoint/checkpoint_snapshot.h"

namespace jobctl::trainer {

class AsyncCheckpointWriter {
 public:
  AsyncCheckpointWriter() = default;
  ~AsyncCheckpointWriter();  // waits for the write in flight
  AsyncCheckpointWriter(const AsyncCheckpointWriter&) = delete;
  AsyncCheckpointWriter& operator=(const AsyncCheckpointWriter&) = delete;

  // Waits for the previous write (its error is returned, and nothing more
  // done), then copies the checkpoint's contents from model and optimizer.
  Status Snapshot(const Sequential& model, Optimizer* optimizer, const Metadata& metadata);
  // Writes the last Snapshot to `path` on the background thread.
  // Precondition: Snapshot succeeded since the last Write.
  void Write(const std::string& path, std::function<Status()> before_commit,
             std::function<void()> after_commit);

  // Waits for the write in flight, if any; its status.
  Status Wait();

 private:
  CheckpointSnapshot snapshot_;  // read by the write in flight
  std::future<Status> pending_;
};

}  // namespace jobctl::trainer
