#include "trainer/checkpoint/training_checkpoint.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <regex>

namespace jobctl::trainer {
namespace {

// Views of every parameter in file layout; transposed parameters are copied
// into `scratch` (one vector each, kept alive by the caller).
std::vector<TensorView> ParameterViews(const Sequential& model,
                                       std::vector<std::vector<float>>* scratch) {
  std::vector<TensorView> views;
  for (const ParameterInfo& p : model.params().parameters()) {
    const float* data = model.params().values() + p.offset;
    if (p.transposed) {
      scratch->emplace_back(p.count);
      CopyToStandardLayout(p, model.params().values(), scratch->back().data());
      data = scratch->back().data();
    }
    views.push_back({p.name, std::vector<int64_t>(p.shape.begin(), p.shape.end()), data});
  }
  return views;
}

}  // namespace

std::string CheckpointPath(const std::string& dir, int epoch) {
  return (std::filesystem::path(dir) / ("epoch-" + std::to_string(epoch) + ".safetensors"))
      .string();
}

std::optional<int> FindLatestCheckpointEpoch(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return std::nullopt;
  static const std::regex kName("epoch-([0-9]{1,9})\\.safetensors");
  int best = -1;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::smatch match;
    std::string name = entry.path().filename().string();
    if (std::regex_match(name, match, kName)) best = std::max(best, std::stoi(match[1].str()));
  }
  if (best < 0) return std::nullopt;
  return best;
}

std::optional<std::string> FindLatestCheckpoint(const std::string& dir) {
  std::optional<int> epoch = FindLatestCheckpointEpoch(dir);
  if (!epoch.has_value()) return std::nullopt;
  return CheckpointPath(dir, *epoch);
}

Status SaveCheckpoint(const std::string& path, const Sequential& model, Optimizer* optimizer,
                      const Metadata& metadata, const std::function<Status()>& before_commit) {
  std::vector<std::vector<float>> scratch;
  std::vector<TensorView> views = ParameterViews(model, &scratch);
  for (auto& [name, buffer] : optimizer->StateBuffers()) {
    views.push_back({"optimizer." + name, {static_cast<int64_t>(buffer->size())}, buffer->data()});
  }
  Metadata all = metadata;
  all["optimizer_steps"] = std::to_string(optimizer->steps());
  return WriteSafetensors(path, views, all, before_commit);
}

Status LoadParameters(const SafetensorsFile& file, const std::string& path, Sequential* model) {
  for (const ParameterInfo& p : model->params().parameters()) {
    auto it = file.tensors.find(p.name);
    if (it == file.tensors.end()) {
      return InvalidArgumentError(path + ": no tensor " + p.name + " (does --model match?)");
    }
    std::vector<int64_t> shape(p.shape.begin(), p.shape.end());
    if (it->second.shape != shape) {
      return InvalidArgumentError(path + ": tensor " + p.name +
                                  " has a different shape than the model's (does --model match?)");
    }
    CopyFromStandardLayout(p, it->second.data.data(), model->params().values());
  }
  return Status::Ok();
}

Result<Metadata> LoadCheckpoint(const std::string& path, Sequential* model, Optimizer* optimizer) {
  JOBCTL_ASSIGN_OR_RETURN(SafetensorsFile file, ReadSafetensors(path));
  JOBCTL_RETURN_IF_ERROR(LoadParameters(file, path, model));
  for (auto& [name, buffer] : optimizer->StateBuffers()) {
    auto it = file.tensors.find("optimizer." + name);
    if (it == file.tensors.end() || it->second.data.size() != buffer->size()) {
      return InvalidArgumentError(path + ": missing or mismatched optimizer." + name +
                                  " (was it written with the same --optimizer and --model?)");
    }
    *buffer = it->second.data;
  }
  auto steps = file.metadata.find("optimizer_steps");
  if (steps == file.metadata.end()) {
    return InvalidArgumentError(path + ": no optimizer_steps in __metadata__");
  }
  int64_t step_count = 0;
  auto [ptr, ec] = std::from_chars(steps->second.data(),
                                   steps->second.data() + steps->second.size(), step_count);
  if (ec != std::errc() || ptr != steps->second.data() + steps->second.size()) {
    return InvalidArgumentError(path + ": bad optimizer_steps \"" + steps->second + "\"");
  }
  optimizer->set_steps(step_count);
  return file.metadata;
}

Status SaveModel(const std::string& path, const Sequential& model, const Metadata& metadata,
                 const std::function<Status()>& before_commit) {
  Metadata all = metadata;
  all["format"] = "pt";
  std::vector<std::vector<float>> scratch;
  return WriteSafetensors(path, ParameterViews(model, &scratch), all, before_commit);
}

}  // namespace jobctl::trainer
