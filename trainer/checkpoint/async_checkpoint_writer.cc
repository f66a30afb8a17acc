#include "trainer/checkpoint/async_checkpoint_writer.h"

#include <utility>

namespace jobctl::trainer {

AsyncCheckpointWriter::~AsyncCheckpointWriter() { (void)Wait(); }

Status AsyncCheckpointWriter::Wait() {
  if (!pending_.valid()) return Status::Ok();
  return pending_.get();
}

Status AsyncCheckpointWriter::Snapshot(const Sequential& model, Optimizer* optimizer,
                                       const Metadata& metadata) {
  JOBCTL_RETURN_IF_ERROR(Wait());
  snapshot_.Take(model, optimizer, metadata);
  return Status::Ok();
}

void AsyncCheckpointWriter::Write(const std::string& path, std::function<Status()> before_commit,
                                  std::function<void()> after_commit) {
  pending_ = std::async(std::launch::async, [this, path, before_commit = std::move(before_commit),
                                             after_commit = std::move(after_commit)] {
    Status written = WriteCheckpointSnapshot(path, snapshot_, before_commit);
    if (written.ok() && after_commit) after_commit();
    return written;
  });
}

}  // namespace jobctl::trainer
