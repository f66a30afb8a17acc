#include "trainer/comm/rendezvous_env.h"

#include <charconv>
#include <cstdlib>

namespace jobctl::trainer {
namespace {

// Parses a whole decimal integer in [min, max]; the error names the variable.
Result<long long> ParseInteger(std::string_view name, const std::string& text, long long min,
                               long long max) {
  long long value = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (text.empty() || ec != std::errc() || ptr != end) {
    return InvalidArgumentError("environment variable " + std::string(name) + "='" + text +
                                "' is not an integer");
  }
  if (value < min || value > max) {
    return InvalidArgumentError("environment variable " + std::string(name) + "=" + text +
                                " is out of range [" + std::to_string(min) + ", " +
                                std::to_string(max) + "]");
  }
  return value;
}

}  // namespace

Result<RendezvousConfig> RendezvousFromVariables(const EnvironmentLookup& lookup) {
  RendezvousConfig config;
  const auto rank = lookup("RANK");
  const auto world_size = lookup("WORLD_SIZE");
  if (rank.has_value() != world_size.has_value()) {
    return InvalidArgumentError(rank ? "environment variable RANK is set but WORLD_SIZE is not"
                                     : "environment variable WORLD_SIZE is set but RANK is not");
  }
  if (world_size) {
    JOBCTL_ASSIGN_OR_RETURN(long long ws, ParseInteger("WORLD_SIZE", *world_size, 1, 1 << 20));
    JOBCTL_ASSIGN_OR_RETURN(long long r, ParseInteger("RANK", *rank, 0, 1 << 20));
    if (r >= ws) {
      return InvalidArgumentError("environment variable RANK=" + *rank +
                                  " must be less than WORLD_SIZE=" + *world_size);
    }
    config.world_size = static_cast<int>(ws);
    config.rank = static_cast<int>(r);
  }
  if (auto local_rank = lookup("LOCAL_RANK")) {
    JOBCTL_ASSIGN_OR_RETURN(long long lr, ParseInteger("LOCAL_RANK", *local_rank, 0, 1 << 20));
    config.local_rank = static_cast<int>(lr);
  }
  const auto addr = lookup("MASTER_ADDR");
  const auto port = lookup("MASTER_PORT");
  if (addr) {
    if (addr->empty()) return InvalidArgumentError("environment variable MASTER_ADDR is empty");
    config.master_addr = *addr;
  }
  if (port) {
    JOBCTL_ASSIGN_OR_RETURN(long long p, ParseInteger("MASTER_PORT", *port, 1, 65535));
    config.master_port = static_cast<int>(p);
  }
  if (config.world_size > 1 && !addr) {
    return InvalidArgumentError("environment variable MASTER_ADDR is required when WORLD_SIZE=" +
                                std::to_string(config.world_size));
  }
  if (config.world_size > 1 && !port) {
    return InvalidArgumentError("environment variable MASTER_PORT is required when WORLD_SIZE=" +
                                std::to_string(config.world_size));
  }
  if (auto timeout = lookup("JOBCTL_COMM_TIMEOUT_MS")) {
    JOBCTL_ASSIGN_OR_RETURN(long long ms,
                            ParseInteger("JOBCTL_COMM_TIMEOUT_MS", *timeout, 1, 24LL * 3600 * 1000));
    config.timeout = std::chrono::milliseconds(ms);
  }
  return config;
}

Result<RendezvousConfig> RendezvousFromEnvironment() {
  return RendezvousFromVariables([](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  });
}

}  // namespace jobctl::trainer
