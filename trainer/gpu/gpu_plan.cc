#include "trainer/gpu/gpu_plan.h"

#include <algorithm>

namespace jobctl::trainer::gpu {
namespace {

const ParameterInfo* FindParameter(const ParameterBuffer& params, const std::string& name) {
  for (const ParameterInfo& p : params.parameters()) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

GpuOp Elementwise(OpKind kind, int features) {
  GpuOp op;
  op.kind = kind;
  op.in_features = features;
  op.out_features = features;
  return op;
}

GpuOp ActivationOp(Activation activation, int features) {
  switch (activation) {
    case Activation::kTanh:
      return Elementwise(OpKind::kTanh, features);
    case Activation::kSigmoid:
      return Elementwise(OpKind::kSigmoid, features);
    case Activation::kRelu:
      break;
  }
  return Elementwise(OpKind::kRelu, features);
}

GpuOp LinearOp(int in, int out) {
  GpuOp op;
  op.kind = OpKind::kLinear;
  op.in_features = in;
  op.out_features = out;
  return op;
}

GpuOp ConvOp(const ConvGeometry& g) {
  GpuOp op;
  op.kind = OpKind::kConv2d;
  op.conv = g;
  op.in_features = g.in_channels * g.in_height * g.in_width;
  op.out_features = g.out_channels * g.out_height() * g.out_width();
  return op;
}

GpuOp PoolOp(int channels, int height, int width, int window) {
  GpuOp op;
  op.kind = OpKind::kMaxPool2d;
  op.channels = channels;
  op.height = height;
  op.width = width;
  op.window = window;
  op.in_features = channels * height * width;
  op.out_features = channels * (height / window) * (width / window);
  return op;
}

// Looks up the offsets of op `index` and checks the sizes.
Status BindParameters(const ParameterBuffer& params, size_t index, GpuOp* op) {
  const std::string prefix = "layers." + std::to_string(index);
  const ParameterInfo* weight = FindParameter(params, prefix + ".weight");
  const ParameterInfo* bias = FindParameter(params, prefix + ".bias");
  size_t weight_count = 0;
  size_t bias_count = 0;
  bool layout_ok = false;
  if (op->kind == OpKind::kLinear) {
    weight_count = static_cast<size_t>(op->in_features) * op->out_features;
    bias_count = static_cast<size_t>(op->out_features);
    layout_ok = weight != nullptr && weight->transposed;
  } else {
    const ConvGeometry& g = op->conv;
    weight_count = static_cast<size_t>(g.out_channels) * g.in_channels * g.kernel * g.kernel;
    bias_count = static_cast<size_t>(g.out_channels);
    layout_ok = weight != nullptr && !weight->transposed;
  }
  if (weight == nullptr || bias == nullptr || !layout_ok || weight->count != weight_count ||
      bias->count != bias_count) {
    return InvalidArgumentError("GPU plan: the parameter buffer has no matching " + prefix +
                                ".weight/.bias for " + op->Describe());
  }
  op->weight_offset = weight->offset;
  op->bias_offset = bias->offset;
  return Status::Ok();
}

}  // namespace

std::string GpuOp::Describe() const {
  switch (kind) {
    case OpKind::kLinear:
      return "Linear(" + std::to_string(in_features) + ", " + std::to_string(out_features) + ")";
    case OpKind::kConv2d:
      return "Conv2d(" + std::to_string(conv.in_channels) + ", " +
             std::to_string(conv.out_channels) + ", kernel_size=" + std::to_string(conv.kernel) +
             ")";
    case OpKind::kMaxPool2d:
      return "MaxPool2d(kernel_size=" + std::to_string(window) + ")";
    case OpKind::kRelu:
      return "ReLU()";
    case OpKind::kTanh:
      return "Tanh()";
    case OpKind::kSigmoid:
      return "Sigmoid()";
    case OpKind::kDropout:
      return "Dropout(p=" + std::to_string(dropout) + ")";
    case OpKind::kFlatten:
      return "Flatten()";
  }
  return "?";
}

Result<GpuPlan> BuildGpuPlan(const ModelSpec& spec, const ModelOptions& options,
                             const ParameterBuffer& params) {
  GpuPlan plan;
  auto& ops = plan.ops;
  auto add_dropout = [&](int features) {
    if (options.dropout > 0.0f) {
      GpuOp op = Elementwise(OpKind::kDropout, features);
      op.dropout = options.dropout;
      ops.push_back(op);
    }
  };
  // The same order as Sequential::Build (MaxPool2d before ReLU in the CNN).
  if (spec.kind == ModelKind::kCnn) {
    ConvGeometry conv1{1, 28, 28, 32, 3, 1, 0};
    ops.push_back(ConvOp(conv1));
    ops.push_back(PoolOp(32, 26, 26, 2));
    ops.push_back(Elementwise(OpKind::kRelu, 32 * 13 * 13));
    ConvGeometry conv2{32, 13, 13, 64, 3, 1, 0};
    ops.push_back(ConvOp(conv2));
    ops.push_back(PoolOp(64, 11, 11, 2));
    ops.push_back(Elementwise(OpKind::kRelu, 64 * 5 * 5));
    ops.push_back(Elementwise(OpKind::kFlatten, 1600));
    ops.push_back(LinearOp(1600, 128));
    ops.push_back(Elementwise(OpKind::kRelu, 128));
    add_dropout(128);
    ops.push_back(LinearOp(128, 10));
  } else {
    const auto& sizes = spec.sizes;
    for (size_t i = 0; i + 1 < sizes.size(); ++i) {
      ops.push_back(LinearOp(sizes[i], sizes[i + 1]));
      if (i + 2 < sizes.size()) {
        ops.push_back(ActivationOp(options.activation, sizes[i + 1]));
        add_dropout(sizes[i + 1]);
      }
    }
  }
  for (size_t i = 0; i < ops.size(); ++i) {
    if (ops[i].has_parameters()) JOBCTL_RETURN_IF_ERROR(BindParameters(params, i, &ops[i]));
  }
  plan.parameter_count = params.size();
  plan.input_features = ops.front().in_features;
  plan.output_features = ops.back().out_features;
  plan.max_features = plan.input_features;
  for (const GpuOp& op : ops) plan.max_features = std::max(plan.max_features, op.out_features);
  return plan;
}

}  // namespace jobctl::trainer::gpu
