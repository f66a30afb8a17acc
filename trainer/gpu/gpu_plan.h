// GpuPlan: the layers of a model as the GPU path runs them, derived from the
// same ModelSpec and ModelOptions as Sequential::Build and laid out on the
// same ParameterBuffer: op i is layer i of the CPU Sequential (same kind,
// same sizes, same Describe() text), and every parameter sits at the CPU
// buffer's offset in the same layout (Linear weights transposed, [in, out]),
// so parameters copy between host and device as one flat block, and
// initialisation, checkpoints and model files stay the CPU code's.
//
// Plain C++ with no CUDA dependency: tested on every machine.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "common/status.h"
#include "trainer/layers/conv2d.h"
#include "trainer/model/model_spec.h"
#include "trainer/model/sequential.h"
#include "trainer/tensor/parameter_buffer.h"

namespace jobctl::trainer::gpu {

enum class OpKind { kLinear, kConv2d, kMaxPool2d, kRelu, kTanh, kSigmoid, kDropout, kFlatten };

struct GpuOp {
  OpKind kind = OpKind::kLinear;
  int in_features = 0;   // per sample
  int out_features = 0;  // per sample
  ConvGeometry conv;     // kConv2d
  int channels = 0;      // kMaxPool2d: input channels, height, width, window
  int height = 0;
  int width = 0;
  int window = 0;
  float dropout = 0.0f;      // kDropout: probability of zeroing
  size_t weight_offset = 0;  // kLinear ([in, out]), kConv2d ([oc, ic, k, k])
  size_t bias_offset = 0;

  bool has_parameters() const { return kind == OpKind::kLinear || kind == OpKind::kConv2d; }
  // The CPU layer's Describe() text, e.g. "Linear(784, 512)".
  std::string Describe() const;
};

struct GpuPlan {
  std::vector<GpuOp> ops;
  size_t parameter_count = 0;  // ParameterBuffer::size(), alignment gaps included
  int input_features = 0;
  int output_features = 0;
  int max_features = 0;  // the widest per-sample activation, input included
};

// The plan of `spec`; parameter offsets come from `params` ("layers.<i>.weight"
// and ".bias"). kInvalidArgument when `params` is not the buffer of a model
// built from the same spec (a name missing, a size that differs).
Result<GpuPlan> BuildGpuPlan(const ModelSpec& spec, const ModelOptions& options,
                             const ParameterBuffer& params);

}  // namespace jobctl::trainer::gpu
