// libFuzzer target: the job-spec parser on arbitrary bytes.
//
// The parser must never crash, hang or leak on any input: it either returns
// a JobSpec or an error Status. A spec that parses must also survive the JSON
// round trip the controller stores it with.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "common/job_spec/job_spec.h"
#include "common/job_spec/job_spec_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view yaml(reinterpret_cast<const char*>(data), size);
  auto spec = jobctl::ParseJobSpecString(yaml, "fuzz.yaml", "/nonexistent-fuzz-base");
  if (!spec.ok()) {
    // Every error names where it is.
    if (spec.status().message().empty()) __builtin_trap();
    return 0;
  }
  nlohmann::json stored = *spec;
  auto again = stored.get<jobctl::JobSpec>();
  if (nlohmann::json(again) != stored) __builtin_trap();
  return 0;
}
