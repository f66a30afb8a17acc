#include "trainer/tensor/rng.h"

#include <sstream>

namespace jobctl::trainer {

std::string Pcg32::Serialize() const {
  return std::to_string(state_) + " " + std::to_string(inc_);
}

Result<Pcg32> Pcg32::Deserialize(const std::string& text) {
  std::istringstream in(text);
  Pcg32 rng;
  if (!(in >> rng.state_ >> rng.inc_) || (rng.inc_ & 1u) == 0) {
    return InvalidArgumentError("malformed RNG state \"" + text + "\"");
  }
  return rng;
}

}  // namespace jobctl::trainer
