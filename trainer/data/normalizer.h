// Normalizer: per-feature affine map x' = (x - offset) * scale, fitted on
// the training set and applied to every split (and saved with the model so
// `predict` applies the same map).
//
//   scale    : to [0, 1]; images (IDX bytes) divide by 255, CSV features use
//              the training set's per-feature min and max
//   standard : (x - mean) / std per feature (std 0 -> 1)
//   none     : identity
//
// Thread-safety: a value type.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "trainer/data/dataset.h"

namespace jobctl::trainer {

struct Normalizer {
  std::vector<float> offset;
  std::vector<float> scale;

  // kInvalidArgument for an unknown mode (names --normalize).
  static Result<Normalizer> Fit(const Dataset& train, std::string_view mode);
  // Precondition: data.features == offset.size().
  void Apply(Dataset* data) const;
};

// "scale" for image data, "standard" otherwise.
std::string_view DefaultNormalization(const Dataset& data);

}  // namespace jobctl::trainer
