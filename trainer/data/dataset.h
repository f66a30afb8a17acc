// Dataset: samples as rows of float features with integer labels, held in
// memory (MNIST is 31 MB as floats).
//
// Thread-safety: a value type.
#pragma once

#include <string>
#include <vector>

namespace jobctl::trainer {

struct Dataset {
  int count = 0;
  int features = 0;
  std::vector<float> x;  // count * features, row-major
  std::vector<int> y;    // count labels, >= 0
  bool is_image = false;  // raw pixels 0..255 (IDX); decides the default scaling
  std::string source;     // the file(s) it came from, for messages

  int num_classes() const;  // max label + 1
};

// Rows `indices` of `data`, in that order.
Dataset Subset(const Dataset& data, const std::vector<int>& indices);

// Rows [begin, end).
Dataset Slice(const Dataset& data, int begin, int end);

}  // namespace jobctl::trainer
