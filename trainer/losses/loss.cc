#include "trainer/losses/loss.h"

#include <string>

#include "trainer/losses/binary_cross_entropy.h"
#include "trainer/losses/cross_entropy.h"
#include "trainer/losses/mse.h"

namespace jobctl::trainer {

Result<std::unique_ptr<Loss>> CreateLoss(std::string_view name) {
  if (name == "cross_entropy") return std::unique_ptr<Loss>(new CrossEntropy());
  if (name == "binary_cross_entropy") return std::unique_ptr<Loss>(new BinaryCrossEntropy());
  if (name == "mse") return std::unique_ptr<Loss>(new MeanSquaredError());
  return InvalidArgumentError("unknown loss \"" + std::string(name) +
                              "\" (expected cross_entropy, binary_cross_entropy or mse)");
}

}  // namespace jobctl::trainer
