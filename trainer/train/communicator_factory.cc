#include "trainer/train/communicator_factory.h"

#include <cstdlib>
#include <string>

#if JOBCTL_TRAINER_HAVE_COMM
#include "trainer/comm/gloo_communicator.h"
#endif

namespace jobctl::trainer {

#if JOBCTL_TRAINER_HAVE_COMM

Result<std::unique_ptr<Communicator>> MakeCommunicator() {
  JOBCTL_ASSIGN_OR_RETURN(RendezvousConfig config, RendezvousFromEnvironment());
  if (config.world_size == 1) return CreateLocalCommunicator(MemoryKind::kHost);
  return CreateGlooCommunicator(config);
}

#else

namespace {

// World size 1 only: used when this build lacks trainer/comm.
class SingleProcessCommunicator : public Communicator {
 public:
  int rank() const override { return 0; }
  int world_size() const override { return 1; }
  MemoryKind memory_kind() const override { return MemoryKind::kHost; }
  Status AllReduceAverage(float*, size_t) override { return Status::Ok(); }
  Status Broadcast(float*, size_t, int) override { return Status::Ok(); }
  Status Barrier() override { return Status::Ok(); }
};

}  // namespace

Result<std::unique_ptr<Communicator>> MakeCommunicator() {
  const char* world = std::getenv("WORLD_SIZE");
  if (world != nullptr && std::string(world) != "1") {
    return FailedPreconditionError(std::string("WORLD_SIZE=") + world +
                                   ": this jobtrainer was built without the Gloo communicator");
  }
  return std::unique_ptr<Communicator>(new SingleProcessCommunicator());
}

#endif

}  // namespace jobctl::trainer
