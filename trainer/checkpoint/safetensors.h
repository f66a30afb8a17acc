// Safetensors files (https://github.com/huggingface/safetensors): an 8-byte
// little-endian header length, a JSON header
//   {"NAME": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]},
//    "__metadata__": {"key": "string value", ...}}
// padded with spaces to a multiple of 8, then the raw little-endian data.
// Only F32 tensors are written and read (all the trainer stores).
//
// Writes go to PATH.tmp then rename(2) over PATH, so a reader never sees a
// partial file.
//
// Errors name the file. Thread-safety: reentrant.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace jobctl::trainer {

struct TensorView {
  std::string name;
  std::vector<int64_t> shape;
  const float* data = nullptr;  // shape's product floats
};

struct StoredTensor {
  std::vector<int64_t> shape;
  std::vector<float> data;
};

struct SafetensorsFile {
  std::map<std::string, StoredTensor> tensors;
  std::map<std::string, std::string> metadata;
};

Status WriteSafetensors(const std::string& path, const std::vector<TensorView>& tensors,
                        const std::map<std::string, std::string>& metadata);

Result<SafetensorsFile> ReadSafetensors(const std::string& path);

}  // namespace jobctl::trainer
