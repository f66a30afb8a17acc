#include "trainer/checkpoint/checkpoint_snapshot.h"

#include <algorithm>

namespace jobctl::trainer {

void CheckpointSnapshot::Take(const Sequential& model, Optimizer* optimizer, const Metadata& meta) {
  const ParameterBuffer& params = model.params();
  parameters = params.parameters();
  values.resize(params.size());
  std::copy(params.values(), params.values() + params.size(), values.begin());
  auto buffers = optimizer->StateBuffers();
  state_names.resize(buffers.size());
  state.resize(buffers.size());
  for (size_t i = 0; i < buffers.size(); ++i) {
    state_names[i] = buffers[i].first;
    state[i].resize(buffers[i].second->size());
    std::copy(buffers[i].second->begin(), buffers[i].second->end(), state[i].begin());
  }
  metadata = meta;
  metadata["optimizer_steps"] = std::to_string(optimizer->steps());
}

Status WriteCheckpointSnapshot(const std::string& path, const CheckpointSnapshot& snapshot,
                               const std::function<Status()>& before_commit) {
  std::vector<std::vector<float>> scratch;  // transposed parameters in file layout
  std::vector<TensorView> views;
  for (const ParameterInfo& p : snapshot.parameters) {
    const float* data = snapshot.values.data() + p.offset;
    if (p.transposed) {
      scratch.emplace_back(p.count);
      CopyToStandardLayout(p, snapshot.values.data(), scratch.back().data());
      data = scratch.back().data();
    }
    views.push_back({p.name, std::vector<int64_t>(p.shape.begin(), p.shape.end()), data});
  }
  for (size_t i = 0; i < snapshot.state.size(); ++i) {
    views.push_back({"optimizer." + snapshot.state_names[i],
                     {static_cast<int64_t>(snapshot.state[i].size())},
                     snapshot.state[i].data()});
  }
  return WriteSafetensors(path, views, snapshot.metadata, before_commit);
}

}  // namespace jobctl::trainer
