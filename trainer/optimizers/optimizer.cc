#include "trainer/optimizers/optimizer.h"

#include "trainer/optimizers/adadelta.h"
#include "trainer/optimizers/adam.h"
#include "trainer/optimizers/sgd.h"

namespace jobctl::trainer {
namespace {

Status Bad(const std::string& option, float value, const std::string& rule) {
  return InvalidArgumentError(option + ": " + std::to_string(value) + " " + rule);
}

}  // namespace

Result<std::unique_ptr<Optimizer>> CreateOptimizer(const OptimizerConfig& c, size_t count) {
  if (c.weight_decay < 0.0f) return Bad("--weight-decay", c.weight_decay, "must be >= 0");
  if (c.lr.has_value() && !(*c.lr >= 0.0f)) return Bad("--lr", *c.lr, "must be >= 0");
  if (c.name == "sgd") {
    if (c.momentum < 0.0f) return Bad("--momentum", c.momentum, "must be >= 0");
    if (c.nesterov && (c.momentum <= 0.0f || c.dampening != 0.0f)) {
      return InvalidArgumentError("--nesterov: needs --momentum > 0 and dampening 0");
    }
    return std::unique_ptr<Optimizer>(new Sgd(c.lr.value_or(0.01f), c.momentum, c.dampening,
                                              c.nesterov, c.weight_decay, count));
  }
  if (c.name == "adam") {
    if (c.beta1 < 0.0f || c.beta1 >= 1.0f) return Bad("--beta1", c.beta1, "must be in [0, 1)");
    if (c.beta2 < 0.0f || c.beta2 >= 1.0f) return Bad("--beta2", c.beta2, "must be in [0, 1)");
    float eps = c.eps.value_or(1e-8f);
    if (eps < 0.0f) return Bad("--eps", eps, "must be >= 0");
    return std::unique_ptr<Optimizer>(
        new Adam(c.lr.value_or(1e-3f), c.beta1, c.beta2, eps, c.weight_decay, count));
  }
  if (c.name == "adadelta") {
    if (c.rho < 0.0f || c.rho > 1.0f) return Bad("--rho", c.rho, "must be in [0, 1]");
    float eps = c.eps.value_or(1e-6f);
    if (eps < 0.0f) return Bad("--eps", eps, "must be >= 0");
    return std::unique_ptr<Optimizer>(
        new Adadelta(c.lr.value_or(1.0f), c.rho, eps, c.weight_decay, count));
  }
  return InvalidArgumentError("--optimizer: unknown optimizer \"" + c.name +
                              "\" (expected sgd, adam or adadelta)");
}

}  // namespace jobctl::trainer
