// Safetensors files (https://github.com/huggingface/safetensors): an 8-byte
// little-endian header length, a JSON header
//   {"NAME": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]},
//    "__metadata__": {"key": "string value", ...}}
// padded with spaces to a multiple of 8, then the raw little-endian data.
// Only F32 tensors are written and read (all the trainer stores).
//
// Writes are atomic and durable (see atomic_file.h): a reader, or a run
// resumed after a kill -9 or a crash mid-write, sees the old file or the
// new one, never a partial one.
//
// Errors name the file. Thread-safety: reentrant.
#pragma once

#include <cstdint>
#include <functional>
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

// `before_commit`, when set, runs after the data is on disk and before the
// rename that publishes it; an error from it abandons the write (the file
// at `path` is left as it was) and is returned.
Status WriteSafetensors(const std::string& path, const std::vector<TensorView>& tensors,
                        const std::map<std::string, std::string>& metadata,
                        const std::function<Status()>& before_commit = nullptr);

Result<SafetensorsFile> ReadSafetensors(const std::string& path);

}  // namespace jobctl::trainer
