#include "controller/placement_json.h"

#include <nlohmann/json.hpp>

namespace jobctl::controller {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(NodePlacement, node_id, address, ranks, gpus,
                                                rank_gpus, cpus, memory_bytes)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(JobPlacement, job_id, nodes, master_addr,
                                                master_port)

std::string PlacementToJson(const JobPlacement& placement) {
  return nlohmann::json(placement).dump();
}

Result<JobPlacement> PlacementFromJson(const std::string& json) {
  try {
    return nlohmann::json::parse(json).get<JobPlacement>();
  } catch (const std::exception& e) {
    return InternalError(std::string("corrupt placement: ") + e.what());
  }
}

}  // namespace jobctl::controller
