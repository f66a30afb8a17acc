#include "trainer/data/distributed_sampler.h"

#include <numeric>
#include <utility>

#include "trainer/tensor/rng.h"

namespace jobctl::trainer {

std::vector<int> ShuffledOrder(int n, uint64_t seed) {
  std::vector<int> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  Pcg32 rng(seed, 0x5eed);
  for (int i = n - 1; i > 0; --i) {
    int j = static_cast<int>(rng.NextBounded(static_cast<uint32_t>(i + 1)));
    std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
  }
  return order;
}

DistributedSampler::DistributedSampler(int dataset_size, int rank, int world_size, uint64_t seed,
                                       bool shuffle)
    : size_(dataset_size),
      rank_(rank),
      world_size_(world_size),
      seed_(seed),
      shuffle_(shuffle),
      per_rank_((dataset_size + world_size - 1) / world_size) {}

std::vector<int> DistributedSampler::EpochIndices(int epoch) const {
  std::vector<int> order;
  if (shuffle_) {
    order = ShuffledOrder(size_, seed_ + static_cast<uint64_t>(epoch));
  } else {
    order.resize(static_cast<size_t>(size_));
    std::iota(order.begin(), order.end(), 0);
  }
  const int total = per_rank_ * world_size_;
  std::vector<int> mine;
  mine.reserve(static_cast<size_t>(per_rank_));
  for (int pos = rank_; pos < total; pos += world_size_) {
    mine.push_back(order[static_cast<size_t>(pos % size_)]);
  }
  return mine;
}

}  // namespace jobctl::trainer
