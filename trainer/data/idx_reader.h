// IDX files (the MNIST format): unsigned-byte images (magic 0x00000803,
// dims N x H x W) and labels (magic 0x00000801, dims N), raw or gzip.
//
// Errors name the file: missing file, wrong magic, truncated data, image and
// label counts that differ.
// Thread-safety: reentrant.
#pragma once

#include <string>

#include "common/status.h"
#include "trainer/data/dataset.h"

namespace jobctl::trainer {

// Pixels come back as floats 0..255 (unscaled); is_image is set.
Result<Dataset> LoadIdx(const std::string& images_path, const std::string& labels_path);

// Finds `*images-idx3-ubyte[.gz]` and `*labels-idx1-ubyte[.gz]` in dir
// (preferring a `train` pair over `t10k` when both exist) and loads them.
Result<Dataset> LoadMnistDirectory(const std::string& dir);

}  // namespace jobctl::trainer
