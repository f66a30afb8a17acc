#include "trainer/checkpoint/safetensors.h"

#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "trainer/checkpoint/atomic_file.h"
#include "trainer/data/file_reader.h"

namespace jobctl::trainer {
namespace {

int64_t Elements(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

}  // namespace

Status WriteSafetensors(const std::string& path, const std::vector<TensorView>& tensors,
                        const std::map<std::string, std::string>& metadata,
                        const std::function<Status()>& before_commit) {
  nlohmann::json header = nlohmann::json::object();
  uint64_t offset = 0;
  for (const TensorView& t : tensors) {
    uint64_t bytes = static_cast<uint64_t>(Elements(t.shape)) * sizeof(float);
    header[t.name] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  uint64_t length = text.size();
  std::string prefix(8, '\0');
  for (int i = 0; i < 8; ++i) prefix[static_cast<size_t>(i)] = static_cast<char>(length >> (8 * i));
  prefix += text;
  std::vector<FileChunk> chunks = {{prefix.data(), prefix.size()}};
  for (const TensorView& t : tensors) {
    chunks.push_back({reinterpret_cast<const char*>(t.data),
                      static_cast<size_t>(Elements(t.shape)) * sizeof(float)});
  }
  return WriteFileAtomically(path, chunks, before_commit);
}

Result<SafetensorsFile> ReadSafetensors(const std::string& path) {
  JOBCTL_ASSIGN_OR_RETURN(std::string bytes, ReadFileMaybeGzip(path));
  auto bad = [&path](const std::string& why) {
    return InvalidArgumentError(path + ": not a safetensors file: " + why);
  };
  if (bytes.size() < 8) return bad("shorter than 8 bytes");
  uint64_t length = 0;
  for (int i = 0; i < 8; ++i) length |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[static_cast<size_t>(i)])) << (8 * i);
  if (length > bytes.size() - 8) return bad("header length " + std::to_string(length) + " past the end");
  const size_t data_start = 8 + length;
  const size_t data_size = bytes.size() - data_start;
  SafetensorsFile file;
  try {
    nlohmann::json header = nlohmann::json::parse(bytes.substr(8, length));
    if (!header.is_object()) return bad("header is not a JSON object");
    for (auto it = header.begin(); it != header.end(); ++it) {
      if (it.key() == "__metadata__") {
        for (auto m = it->begin(); m != it->end(); ++m) {
          file.metadata[m.key()] = m->get<std::string>();
        }
        continue;
      }
      const auto& entry = *it;
      if (entry.at("dtype").get<std::string>() != "F32") {
        return bad("tensor " + it.key() + " has dtype " + entry.at("dtype").get<std::string>() +
                   ", only F32 is supported");
      }
      StoredTensor tensor;
      tensor.shape = entry.at("shape").get<std::vector<int64_t>>();
      auto offsets = entry.at("data_offsets").get<std::vector<uint64_t>>();
      if (offsets.size() != 2 || offsets[0] > offsets[1] || offsets[1] > data_size ||
          offsets[1] - offsets[0] != static_cast<uint64_t>(Elements(tensor.shape)) * sizeof(float)) {
        return bad("tensor " + it.key() + " has bad data_offsets");
      }
      tensor.data.resize(static_cast<size_t>(Elements(tensor.shape)));
      std::memcpy(tensor.data.data(), bytes.data() + data_start + offsets[0],
                  offsets[1] - offsets[0]);
      file.tensors[it.key()] = std::move(tensor);
    }
  } catch (const nlohmann::json::exception& e) {
    return bad(e.what());
  }
  return file;
}

}  // namespace jobctl::trainer
