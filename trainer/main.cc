// jobtrainer: the data-parallel trainer. See train/train_loop.h for the
// training contract and train/options_parser.h for the command line.
//
// Exit status: 0 on success, 2 on bad input (options, data, model spec),
// 1 on other failures (a peer lost, a disk error).
#include <iostream>
#include <variant>

#include "trainer/train/device_choice.h"
#include "trainer/train/options_parser.h"
#include "trainer/train/predict.h"
#include "trainer/train/train_loop.h"

namespace {

int Fail(const jobctl::Status& status) {
  std::cerr << "jobtrainer: " << status.message() << std::endl;
  switch (status.code()) {
    case jobctl::StatusCode::kInvalidArgument:
    case jobctl::StatusCode::kNotFound:
      return 2;
    default:
      return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace jobctl::trainer;
  auto parsed = ParseCommandLine(argc, argv);
  if (!parsed.ok()) return Fail(parsed.status());
  if (auto* help = std::get_if<HelpRequested>(&*parsed)) {
    std::cout << help->text;
    return 0;
  }
  if (auto* predict = std::get_if<PredictOptions>(&*parsed)) {
    jobctl::Status status = RunPredict(*predict, std::cout);
    return status.ok() ? 0 : Fail(status);
  }
  TrainOptions& options = std::get<TrainOptions>(*parsed);
  auto device = ResolveDevice(options.device);  // auto -> cpu or cuda
  if (!device.ok()) return Fail(device.status());
  options.device = *device;
  auto comm = MakeCommunicatorForDevice(options.device, std::cerr);
  if (!comm.ok()) return Fail(comm.status());
  jobctl::Status status = RunTraining(options, comm->get(), std::cout);
  return status.ok() ? 0 : Fail(status);
}
