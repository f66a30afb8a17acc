// DistributedSampler: which samples a rank visits in an epoch, with
// torch.utils.data.DistributedSampler semantics: one order per epoch
// (shuffled from seed + epoch, the same on every rank), padded by wrapping
// around to a multiple of the world size, and rank r takes positions
// r, r + W, r + 2W, ... so every rank has the same number of samples.
//
// Thread-safety: immutable after construction.
#pragma once

#include <cstdint>
#include <vector>

namespace jobctl::trainer {

class DistributedSampler {
 public:
  // Preconditions: dataset_size > 0, 0 <= rank < world_size.
  DistributedSampler(int dataset_size, int rank, int world_size, uint64_t seed, bool shuffle);

  int samples_per_rank() const { return per_rank_; }
  std::vector<int> EpochIndices(int epoch) const;

 private:
  int size_;
  int rank_;
  int world_size_;
  uint64_t seed_;
  bool shuffle_;
  int per_rank_;
};

// The order of 0..n-1 that Pcg32(seed) gives by Fisher-Yates; shared by the
// sampler and --shuffle-split.
std::vector<int> ShuffledOrder(int n, uint64_t seed);

}  // namespace jobctl::trainer
