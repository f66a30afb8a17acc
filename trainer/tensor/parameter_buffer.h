// ParameterBuffer: every trainable parameter of a model, and its gradient, in
// one contiguous float buffer each, so that averaging all gradients across
// ranks is a single all-reduce and an optimizer step is one flat loop.
//
// Layers Reserve() their parameters while the model is built; Finalize()
// then allocates both buffers (zeroed). Offsets returned by Reserve() stay
// valid for the buffer's lifetime; pointers stay valid after Finalize().
//
// Thread-safety: not thread-safe; one owner.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace jobctl::trainer {

// One named parameter tensor inside the buffer, PyTorch naming and shape.
struct ParameterInfo {
  std::string name;        // e.g. "layers.0.weight"
  std::vector<int> shape;  // e.g. {512, 784}
  size_t offset = 0;
  size_t count = 0;
  // A 2-D parameter kept in the buffer as its transpose ([shape[1],
  // shape[0]], the layout its layer computes with); files still hold `shape`.
  bool transposed = false;
};

// Copies a parameter from buffer layout into `shape` order (dst), and back.
void CopyToStandardLayout(const ParameterInfo& p, const float* buffer_values, float* dst);
void CopyFromStandardLayout(const ParameterInfo& p, const float* src, float* buffer_values);

class ParameterBuffer {
 public:
  // Precondition: Finalize() not yet called; transposed only for 2-D shapes.
  size_t Reserve(std::string name, std::vector<int> shape, bool transposed = false);
  void Finalize();

  float* values() { return values_.data(); }
  const float* values() const { return values_.data(); }
  float* grads() { return grads_.data(); }
  const float* grads() const { return grads_.data(); }
  size_t size() const { return total_; }
  const std::vector<ParameterInfo>& parameters() const { return parameters_; }

 private:
  std::vector<ParameterInfo> parameters_;
  size_t total_ = 0;
  std::vector<float> values_;
  std::vector<float> grads_;
};

}  // namespace jobctl::trainer
