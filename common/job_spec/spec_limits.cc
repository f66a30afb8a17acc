#include "common/job_spec/spec_limits.h"

#include <string>

#include "common/protocol/limits.h"

namespace jobctl {
namespace {

using protocol::LimitCheck;

void CheckStringMap(const std::map<std::string, std::string>& map, const std::string& field,
                    LimitCheck& check) {
  check.Count(field, map.size(), protocol::kMaxMapEntries, "map_entries");
  for (const auto& [key, value] : map) {
    check.String(field + " key", key, protocol::kMaxNameBytes, "name_bytes");
    check.String(field + "." + key.substr(0, 64), value, protocol::kMaxTextBytes, "text_bytes");
    if (!check.ok()) return;
  }
}

}  // namespace

size_t EncodedJobSpecBytes(const JobSpec& spec) {
  std::vector<uint8_t> out = nlohmann::json::to_msgpack(nlohmann::json(spec));
  return out.size();
}

void CheckJobSpecLimits(const JobSpec& spec, std::string_view prefix_view, LimitCheck& check) {
  const std::string p(prefix_view);
  check.String(p + "name", spec.name, protocol::kMaxNameBytes, "name_bytes")
      .String(p + "display_name", spec.display_name, protocol::kMaxNameBytes, "name_bytes")
      .String(p + "experiment_name", spec.experiment_name, protocol::kMaxNameBytes, "name_bytes")
      .String(p + "compute", spec.compute, protocol::kMaxNameBytes, "name_bytes")
      .String(p + "description", spec.description, protocol::kMaxTextBytes, "text_bytes")
      .String(p + "command", spec.command, protocol::kMaxCommandBytes, "command_bytes")
      .String(p + "code", spec.code, protocol::kMaxPathBytes, "path_bytes");
  if (spec.environment) {
    check
        .String(p + "environment.image", spec.environment->image, protocol::kMaxPathBytes,
                "path_bytes")
        .String(p + "environment.pull_policy", spec.environment->pull_policy,
                protocol::kMaxNameBytes, "name_bytes");
  }
  CheckStringMap(spec.tags, p + "tags", check);
  CheckStringMap(spec.environment_variables, p + "environment_variables", check);
  check.Count(p + "inputs", spec.inputs.size(), protocol::kMaxMapEntries, "map_entries");
  for (const auto& [name, input] : spec.inputs) {
    const std::string f = p + "inputs." + name.substr(0, 64);
    check.String(p + "inputs key", name, protocol::kMaxNameBytes, "name_bytes")
        .String(f + ".type", input.type, protocol::kMaxNameBytes, "name_bytes")
        .String(f + ".path", input.path, protocol::kMaxPathBytes, "path_bytes")
        .String(f + ".value", input.value, protocol::kMaxTextBytes, "text_bytes");
    if (!check.ok()) return;
  }
  check.Count(p + "outputs", spec.outputs.size(), protocol::kMaxMapEntries, "map_entries");
  for (const auto& [name, output] : spec.outputs) {
    const std::string f = p + "outputs." + name.substr(0, 64);
    check.String(p + "outputs key", name, protocol::kMaxNameBytes, "name_bytes")
        .String(f + ".type", output.type, protocol::kMaxNameBytes, "name_bytes")
        .String(f + ".path", output.path, protocol::kMaxPathBytes, "path_bytes");
    if (!check.ok()) return;
  }
  if (check.ok()) {
    check.Bytes(p.empty() ? "the encoded spec" : p.substr(0, p.size() - 1) + " (encoded)",
                EncodedJobSpecBytes(spec), protocol::kMaxSpecEncodedBytes, "spec_encoded_bytes");
  }
}

}  // namespace jobctl
