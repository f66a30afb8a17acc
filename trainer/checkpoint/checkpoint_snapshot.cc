#include "trainer/checkpoint/checkpoint_snapshot.h"

#include <algorithm>

namespace jobctl::trainer {

void CheckpointSnapshot::Take(const Sequential& model, Optimizer* optimizer, const Metadata& meta) {
  const auto& parameters = model.params().parameters();
  auto state = optimizer->StateBuffers();
  const size_t count = parameters.size() + state.size();
  names.resize(count);
  shapes.resize(count);
  data.resize(count);
  size_t i = 0;
  for (const ParameterInfo& p : parameters) {
    names[i] = p.name;
    shapes[i].assign(p.shape.begin(), p.shape.end());
    data[i].resize(p.count);
    CopyToStandardLayout(p, model.params().values(), data[i].data());
    ++i;
  }
  for (auto& [name, buffer] : state) {
    names[i] = "optimizer." + name;
    shapes[i] = {static_cast<int64_t>(buffer->size())};
    data[i].resize(buffer->size());
    std::copy(buffer->begin(), buffer->end(), data[i].begin());
    ++i;
  }
  metadata = meta;
  metadata["optimizer_steps"] = std::to_string(optimizer->steps());
}

Status WriteCheckpointSnapshot(const std::string& path, const CheckpointSnapshot& snapshot,
                               const std::function<Status()>& before_commit) {
  std::vector<TensorView> views;
  views.reserve(snapshot.names.size());
  for (size_t i = 0; i < snapshot.names.size(); ++i) {
    views.push_back({snapshot.names[i], snapshot.shapes[i], snapshot.data[i].data()});
  }
  return WriteSafetensors(path, views, snapshot.metadata, before_commit);
}

}  // namespace jobctl::trainer
