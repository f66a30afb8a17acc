// World size 1: nothing to exchange, so every collective is the identity.
#include <memory>

#include "trainer/comm/communicator.h"

namespace jobctl::trainer {
namespace {

class LocalCommunicator : public Communicator {
 public:
  explicit LocalCommunicator(MemoryKind kind) : kind_(kind) {}
  int rank() const override { return 0; }
  int world_size() const override { return 1; }
  MemoryKind memory_kind() const override { return kind_; }
  Status AllReduceAverage(float* /*data*/, size_t /*count*/) override { return Status::Ok(); }
  Status Broadcast(float* /*data*/, size_t /*count*/, int root) override {
    if (root != 0) {
      return InvalidArgumentError("broadcast root " + std::to_string(root) +
                                  " is not a rank of a world of size 1");
    }
    return Status::Ok();
  }
  Status Barrier() override { return Status::Ok(); }

 private:
  const MemoryKind kind_;
};

}  // namespace

std::unique_ptr<Communicator> CreateLocalCommunicator(MemoryKind kind) {
  return std::make_unique<LocalCommunicator>(kind);
}

}  // namespace jobctl::trainer
