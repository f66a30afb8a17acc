#include "trainer/data/idx_reader.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "trainer/data/file_reader.h"

namespace jobctl::trainer {
namespace {

uint32_t ReadBigEndian(const std::string& bytes, size_t offset) {
  auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])); };
  return (b(offset) << 24) | (b(offset + 1) << 16) | (b(offset + 2) << 8) | b(offset + 3);
}

std::string Hex(uint32_t value) {
  char text[16];
  std::snprintf(text, sizeof(text), "0x%08x", value);
  return text;
}

// Checks the magic and size; returns the dimensions.
Result<std::vector<uint32_t>> ReadHeader(const std::string& path, const std::string& bytes,
                                         uint32_t magic, int dims) {
  if (bytes.size() < 4) return InvalidArgumentError(path + ": too short for an IDX file");
  uint32_t actual = ReadBigEndian(bytes, 0);
  if (actual != magic) {
    return InvalidArgumentError(path + ": wrong IDX magic " + Hex(actual) + " (expected " +
                                Hex(magic) + ")");
  }
  size_t header = 4 + 4 * static_cast<size_t>(dims);
  if (bytes.size() < header) return InvalidArgumentError(path + ": truncated IDX header");
  std::vector<uint32_t> shape;
  uint64_t total = 1;
  for (int i = 0; i < dims; ++i) {
    shape.push_back(ReadBigEndian(bytes, 4 + 4 * static_cast<size_t>(i)));
    total *= shape.back();
  }
  if (bytes.size() != header + total) {
    return InvalidArgumentError(path + ": IDX data is " + std::to_string(bytes.size() - header) +
                                " bytes, the header says " + std::to_string(total));
  }
  return shape;
}

}  // namespace

Result<Dataset> LoadIdx(const std::string& images_path, const std::string& labels_path) {
  JOBCTL_ASSIGN_OR_RETURN(std::string images, ReadFileMaybeGzip(images_path));
  JOBCTL_ASSIGN_OR_RETURN(std::string labels, ReadFileMaybeGzip(labels_path));
  JOBCTL_ASSIGN_OR_RETURN(auto image_shape, ReadHeader(images_path, images, 0x00000803, 3));
  JOBCTL_ASSIGN_OR_RETURN(auto label_shape, ReadHeader(labels_path, labels, 0x00000801, 1));
  if (image_shape[0] != label_shape[0]) {
    return InvalidArgumentError(labels_path + ": " + std::to_string(label_shape[0]) +
                                " labels for " + std::to_string(image_shape[0]) + " images in " +
                                images_path);
  }
  Dataset data;
  data.count = static_cast<int>(image_shape[0]);
  data.features = static_cast<int>(image_shape[1] * image_shape[2]);
  data.is_image = true;
  data.source = images_path;
  data.x.resize(static_cast<size_t>(data.count) * data.features);
  for (size_t i = 0; i < data.x.size(); ++i) {
    data.x[i] = static_cast<float>(static_cast<unsigned char>(images[16 + i]));
  }
  data.y.resize(static_cast<size_t>(data.count));
  for (int i = 0; i < data.count; ++i) {
    data.y[i] = static_cast<unsigned char>(labels[8 + static_cast<size_t>(i)]);
  }
  return data;
}

Result<Dataset> LoadMnistDirectory(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return NotFoundError(dir + ": no such directory");
  }
  std::vector<std::string> images;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.ends_with("images-idx3-ubyte") || name.ends_with("images-idx3-ubyte.gz")) {
      images.push_back(name);
    }
  }
  if (images.empty()) {
    return NotFoundError(dir + ": no *images-idx3-ubyte[.gz] file");
  }
  std::sort(images.begin(), images.end());
  auto train = std::find_if(images.begin(), images.end(),
                            [](const std::string& n) { return n.starts_with("train"); });
  std::string image_name = train != images.end() ? *train : images.front();
  std::string prefix = image_name.substr(0, image_name.find("images-idx3-ubyte"));
  for (const char* suffix : {"labels-idx1-ubyte.gz", "labels-idx1-ubyte"}) {
    std::filesystem::path label_path = std::filesystem::path(dir) / (prefix + suffix);
    if (std::filesystem::exists(label_path, ec)) {
      return LoadIdx((std::filesystem::path(dir) / image_name).string(), label_path.string());
    }
  }
  return NotFoundError(dir + ": no " + prefix + "labels-idx1-ubyte[.gz] beside " + image_name);
}

}  // namespace jobctl::trainer
