#include "trainer/model/model_spec.h"

#include <charconv>

namespace jobctl::trainer {
namespace {

Status CannotParse(std::string_view text, const std::string& reason) {
  return InvalidArgumentError("cannot parse \"" + std::string(text) + "\": " + reason);
}

}  // namespace

int ModelSpec::input_features() const { return kind == ModelKind::kCnn ? 784 : sizes.front(); }
int ModelSpec::output_features() const { return kind == ModelKind::kCnn ? 10 : sizes.back(); }

Result<ModelSpec> ParseModelSpec(std::string_view text) {
  ModelSpec spec;
  spec.text = std::string(text);
  if (text == "cnn") {
    spec.kind = ModelKind::kCnn;
    return spec;
  }
  size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    return CannotParse(text, "expected mlp:IN-H1-...-OUT, logreg:IN-OUT or cnn");
  }
  std::string_view kind = text.substr(0, colon);
  if (kind == "mlp") {
    spec.kind = ModelKind::kMlp;
  } else if (kind == "logreg") {
    spec.kind = ModelKind::kLogreg;
  } else {
    return CannotParse(text, "unknown model kind \"" + std::string(kind) +
                                 "\" (expected mlp, logreg or cnn)");
  }
  std::string_view rest = text.substr(colon + 1);
  while (true) {
    size_t dash = rest.find('-');
    std::string_view part = rest.substr(0, dash);
    int value = 0;
    auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
    if (part.empty() || ec != std::errc() || ptr != part.data() + part.size()) {
      return CannotParse(text, "\"" + std::string(part) + "\" is not a layer width");
    }
    if (value <= 0 || value > 1'000'000) {
      return CannotParse(text, "layer width " + std::to_string(value) + " is out of range");
    }
    spec.sizes.push_back(value);
    if (dash == std::string_view::npos) break;
    rest = rest.substr(dash + 1);
  }
  if (spec.sizes.size() < 2) return CannotParse(text, "needs at least IN-OUT");
  if (spec.kind == ModelKind::kLogreg && spec.sizes.size() != 2) {
    return CannotParse(text, "logreg takes exactly IN-OUT");
  }
  return spec;
}

Result<Activation> ParseActivation(std::string_view text) {
  if (text == "relu") return Activation::kRelu;
  if (text == "tanh") return Activation::kTanh;
  if (text == "sigmoid") return Activation::kSigmoid;
  return InvalidArgumentError("unknown activation \"" + std::string(text) +
                              "\" (expected relu, tanh or sigmoid)");
}

std::string_view ActivationName(Activation activation) {
  switch (activation) {
    case Activation::kRelu:
      return "relu";
    case Activation::kTanh:
      return "tanh";
    case Activation::kSigmoid:
      return "sigmoid";
  }
  return "relu";
}

}  // namespace jobctl::trainer
