// How long end-to-end tests are willing to wait for something that must
// happen. A deadline in a test bounds a wait; it never measures speed. The
// suite runs with `ctest -j2` on a 2-core machine shared with builds, and
// again under AddressSanitizer (2-5x slower), so a deadline that is generous
// on an idle machine can be too short there.
//
// Patient(d) is d times 3 in a sanitizer build, times JOBCTL_TEST_TIMEOUT_SCALE
// when that is set to a number above 1 (for slower machines).
#pragma once

#include <chrono>
#include <cstdlib>

namespace jobctl::testing {

inline double PatienceFactor() {
#if defined(__SANITIZE_ADDRESS__)
  double factor = 3;
#else
  double factor = 1;
#endif
  if (const char* scale = std::getenv("JOBCTL_TEST_TIMEOUT_SCALE")) {
    double s = std::strtod(scale, nullptr);
    if (s > 1) factor *= s;
  }
  return factor;
}

inline std::chrono::milliseconds Patient(std::chrono::milliseconds d) {
  return std::chrono::milliseconds(
      static_cast<int64_t>(static_cast<double>(d.count()) * PatienceFactor()));
}

// The --heartbeat-timeout-ms for tests that restart the controller under a
// running job: the restarted controller fails the jobs of every node that has
// not registered again within it, and agents must heartbeat within it while
// the controller is busy. 1.5 s (the fixture's default) is too short for that
// on a loaded machine or in the sanitizer build; these tests are about what
// survives the restart, not about how fast a node is declared lost.
inline int RestartHeartbeatTimeoutMs() {
  return static_cast<int>(Patient(std::chrono::seconds(20)).count());
}

}  // namespace jobctl::testing
