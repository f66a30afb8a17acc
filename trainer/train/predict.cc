#include "trainer/train/predict.h"

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "trainer/checkpoint/training_checkpoint.h"
#include "trainer/data/data_spec.h"
#include "trainer/data/normalizer.h"
#include "trainer/losses/loss.h"
#include "trainer/model/sequential.h"
#include "trainer/tensor/blas.h"
#include "trainer/train/evaluate.h"

namespace jobctl::trainer {
namespace {

Result<std::vector<float>> JsonFloats(const std::string& text, const std::string& what) {
  try {
    return nlohmann::json::parse(text).get<std::vector<float>>();
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgumentError(what + ": " + e.what());
  }
}

}  // namespace

Status RunPredict(const PredictOptions& options, std::ostream& out) {
  SetBlasThreads(options.threads);
  JOBCTL_ASSIGN_OR_RETURN(SafetensorsFile file, ReadSafetensors(options.model_file));
  std::string model_text = options.model;
  if (model_text.empty()) model_text = file.metadata["model"];
  if (model_text.empty()) {
    return InvalidArgumentError("--model: " + options.model_file +
                                " does not say which model it holds; pass --model");
  }
  Result<ModelSpec> spec = ParseModelSpec(model_text);
  if (!spec.ok()) return spec.status().WithContext("--model");
  std::string activation_text = options.activation;
  if (activation_text.empty()) activation_text = file.metadata["activation"];
  if (activation_text.empty()) activation_text = "relu";
  Result<Activation> activation = ParseActivation(activation_text);
  if (!activation.ok()) return activation.status().WithContext("--activation");
  Result<std::unique_ptr<Loss>> loss = CreateLoss(options.loss);
  if (!loss.ok()) return loss.status().WithContext("--loss");

  JOBCTL_ASSIGN_OR_RETURN(Dataset data, LoadDataSpec(options.data, "--data"));
  if (spec->input_features() != data.features) {
    return InvalidArgumentError("--model: \"" + spec->text + "\" takes " +
                                std::to_string(spec->input_features()) + " inputs, but " +
                                data.source + " has " + std::to_string(data.features) +
                                " features per sample");
  }
  if (options.skip >= data.count) {
    return InvalidArgumentError("--skip: " + std::to_string(options.skip) + " leaves no samples of " +
                                std::to_string(data.count) + " in " + data.source);
  }
  Normalizer normalizer;
  if (file.metadata.count("normalize_offset") != 0 && file.metadata.count("normalize_scale") != 0) {
    JOBCTL_ASSIGN_OR_RETURN(normalizer.offset,
                            JsonFloats(file.metadata["normalize_offset"], options.model_file));
    JOBCTL_ASSIGN_OR_RETURN(normalizer.scale,
                            JsonFloats(file.metadata["normalize_scale"], options.model_file));
    if (normalizer.offset.size() != static_cast<size_t>(data.features) ||
        normalizer.scale.size() != static_cast<size_t>(data.features)) {
      return InvalidArgumentError(options.model_file + ": normalisation has " +
                                  std::to_string(normalizer.offset.size()) +
                                  " features, the data has " + std::to_string(data.features));
    }
  } else {
    JOBCTL_ASSIGN_OR_RETURN(normalizer, Normalizer::Fit(data, DefaultNormalization(data)));
  }
  normalizer.Apply(&data);

  // Dropout layers count in the parameter names, so rebuild them (they are
  // the identity in evaluation).
  float dropout = 0.0f;
  if (file.metadata.count("dropout") != 0) dropout = std::strtof(file.metadata["dropout"].c_str(), nullptr);
  Pcg32 unused_rng(0, 0);
  JOBCTL_ASSIGN_OR_RETURN(std::unique_ptr<Sequential> model,
                          Sequential::Build(*spec, {*activation, dropout}, &unused_rng));
  JOBCTL_RETURN_IF_ERROR(LoadParameters(file, options.model_file, model.get()));
  const float threshold = options.loss == "binary_cross_entropy" ? 0.0f : 0.5f;
  EvalResult result =
      Evaluate(model.get(), **loss, data, options.skip, options.batch_size, threshold);
  char line[128];
  std::snprintf(line, sizeof(line), "loss=%.4f accuracy=%.4f samples=%d", result.loss(),
                result.accuracy(), result.count);
  out << line << std::endl;
  return Status::Ok();
}

}  // namespace jobctl::trainer
