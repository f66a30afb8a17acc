#include "common/protocol/msgpack_blobs.h"

#include <cstdint>
#include <cstring>
#include <vector>

namespace jobctl::protocol {
namespace {

// The ext type of a placeholder: fixext8 holding the lifted value's index.
constexpr int8_t kPlaceholderType = 0x6a;
constexpr int kMaxDepth = 64;

struct Lifted {
  size_t offset = 0;  // of the whole bin value (header included)
  size_t header = 0;  // header bytes
  size_t size = 0;    // payload bytes
};

class Walker {
 public:
  explicit Walker(std::string_view frame)
      : p_(reinterpret_cast<const uint8_t*>(frame.data())), n_(frame.size()) {}

  // Walks one value at pos_; false when the frame is malformed or holds a
  // value that looks like a placeholder.
  bool Value(int depth) {
    if (depth > kMaxDepth || pos_ >= n_) return false;
    const size_t start = pos_;
    const uint8_t b = p_[pos_++];
    if (b <= 0x7f || b >= 0xe0) return true;  // fixint
    if (b >= 0x80 && b <= 0x8f) return Items(2 * static_cast<uint64_t>(b & 0x0f), depth);
    if (b >= 0x90 && b <= 0x9f) return Items(b & 0x0f, depth);
    if (b >= 0xa0 && b <= 0xbf) return Skip(b & 0x1f);  // fixstr
    uint64_t len = 0;
    switch (b) {
      case 0xc0:
      case 0xc2:
      case 0xc3:
        return true;
      case 0xc4:
      case 0xc5:
      case 0xc6: {  // bin 8/16/32
        size_t width = size_t{1} << (b - 0xc4);
        if (!Uint(width, &len) || len > n_ - pos_) return false;
        if (len >= kMinLiftedBlob) {
          lifted_.push_back(Lifted{start, pos_ - start, static_cast<size_t>(len)});
        }
        pos_ += static_cast<size_t>(len);
        return true;
      }
      case 0xc7:
      case 0xc8:
      case 0xc9: {  // ext 8/16/32
        size_t width = size_t{1} << (b - 0xc7);
        if (!Uint(width, &len)) return false;
        if (pos_ >= n_ || static_cast<int8_t>(p_[pos_]) == kPlaceholderType) return false;
        return Skip(1 + len);
      }
      case 0xca: return Skip(4);
      case 0xcb: return Skip(8);
      case 0xcc: case 0xd0: return Skip(1);
      case 0xcd: case 0xd1: return Skip(2);
      case 0xce: case 0xd2: return Skip(4);
      case 0xcf: case 0xd3: return Skip(8);
      case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8: {  // fixext 1..16
        if (pos_ >= n_ || static_cast<int8_t>(p_[pos_]) == kPlaceholderType) return false;
        return Skip(1 + (size_t{1} << (b - 0xd4)));
      }
      case 0xd9: case 0xda: case 0xdb:  // str 8/16/32
        return Uint(size_t{1} << (b - 0xd9), &len) && Skip(len);
      case 0xdc: case 0xdd:  // array 16/32
        return Uint(b == 0xdc ? 2 : 4, &len) && Items(len, depth);
      case 0xde: case 0xdf:  // map 16/32
        return Uint(b == 0xde ? 2 : 4, &len) && Items(2 * len, depth);
      default:
        return false;  // 0xc1: never used
    }
  }

  bool AtEnd() const { return pos_ == n_; }
  const std::vector<Lifted>& lifted() const { return lifted_; }

 private:
  bool Skip(uint64_t len) {
    if (len > n_ - pos_) return false;
    pos_ += static_cast<size_t>(len);
    return true;
  }
  bool Uint(size_t width, uint64_t* v) {  // big-endian, as MessagePack
    if (width > n_ - pos_) return false;
    *v = 0;
    for (size_t i = 0; i < width; ++i) *v = (*v << 8) | p_[pos_ + i];
    pos_ += width;
    return true;
  }
  bool Items(uint64_t count, int depth) {
    // Every item takes at least one byte: a count past the end is malformed.
    if (count > n_ - pos_) return false;
    for (uint64_t i = 0; i < count; ++i) {
      if (!Value(depth + 1)) return false;
    }
    return true;
  }

  const uint8_t* p_;
  size_t n_;
  size_t pos_ = 0;
  std::vector<Lifted> lifted_;
};

// Puts the lifted payloads back in place of their placeholders.
bool Restore(nlohmann::json& j, std::string_view frame, const std::vector<Lifted>& lifted) {
  if (j.is_binary()) {
    auto& bin = j.get_binary();
    if (!bin.has_subtype() || static_cast<int8_t>(bin.subtype()) != kPlaceholderType) return true;
    if (bin.size() != 8) return false;
    uint64_t index = 0;
    std::memcpy(&index, bin.data(), 8);
    if (index >= lifted.size()) return false;
    const Lifted& l = lifted[index];
    nlohmann::json::binary_t payload(std::vector<uint8_t>(l.size));
    std::memcpy(payload.data(), frame.data() + l.offset + l.header, l.size);
    j = nlohmann::json::binary(std::move(payload));
    return true;
  }
  if (j.is_object() || j.is_array()) {
    for (auto& item : j) {
      if (!Restore(item, frame, lifted)) return false;
    }
  }
  return true;
}

nlohmann::json Plain(std::string_view frame) {
  return nlohmann::json::from_msgpack(frame.begin(), frame.end(), /*strict=*/true,
                                      /*allow_exceptions=*/false);
}

}  // namespace

nlohmann::json ParseMsgpackWithBlobs(std::string_view frame) {
  if (frame.size() < kMinLiftedBlob) return Plain(frame);
  Walker walker(frame);
  if (!walker.Value(0) || !walker.AtEnd() || walker.lifted().empty()) return Plain(frame);
  // The frame with each lifted bin replaced by fixext8(kPlaceholderType, index).
  std::string small;
  size_t from = 0;
  for (size_t i = 0; i < walker.lifted().size(); ++i) {
    const Lifted& l = walker.lifted()[i];
    small.append(frame.data() + from, l.offset - from);
    small.push_back(static_cast<char>(0xd7));
    small.push_back(static_cast<char>(kPlaceholderType));
    uint64_t index = i;
    small.append(reinterpret_cast<const char*>(&index), 8);
    from = l.offset + l.header + l.size;
  }
  small.append(frame.data() + from, frame.size() - from);
  nlohmann::json j = Plain(small);
  if (j.is_discarded()) return j;
  if (!Restore(j, frame, walker.lifted())) return Plain(frame);
  return j;
}

}  // namespace jobctl::protocol
