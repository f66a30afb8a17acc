// Data readers, sampler, model specs and safetensors files.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "trainer/checkpoint/safetensors.h"
#include "trainer/data/csv_reader.h"
#include "trainer/data/data_spec.h"
#include "trainer/data/distributed_sampler.h"
#include "trainer/data/idx_reader.h"
#include "trainer/data/normalizer.h"
#include "trainer/model/model_spec.h"
#include "trainer/model/sequential.h"

namespace jobctl::trainer {
namespace {

class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("trainer_data_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string File(const std::string& name, const std::string& content) const {
    std::string p = (path_ / name).string();
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }
  std::string path() const { return path_.string(); }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

const std::string kData = JOBCTL_TEST_DATA_DIR;

TEST(IdxTest, LoadsMnist) {
  auto data = LoadDataSpec("mnist:" + kData + "/mnist", "--data");
  ASSERT_TRUE(data.ok()) << data.status().ToString();
  EXPECT_EQ(data->count, 10000);
  EXPECT_EQ(data->features, 784);
  EXPECT_EQ(data->num_classes(), 10);
  EXPECT_EQ(data->y[0], 7);  // the first t10k label
  EXPECT_TRUE(data->is_image);
}

TEST(IdxTest, WrongMagicNamesFile) {
  TempDir dir;
  std::string images = dir.File("x-images-idx3-ubyte", std::string("\x00\x00\x08\x01", 4) + std::string(8, '\0'));
  std::string labels = dir.File("x-labels-idx1-ubyte", std::string("\x00\x00\x08\x01\x00\x00\x00\x00", 8));
  auto data = LoadIdx(images, labels);
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status().message(),
            images + ": wrong IDX magic 0x00000801 (expected 0x00000803)");
  auto missing = LoadIdx(dir.path() + "/nope", labels);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("nope"), std::string::npos);
}

TEST(CsvTest, IrisHeaderIsSkipped) {
  auto data = LoadCsv(kData + "/iris/iris.csv");
  ASSERT_TRUE(data.ok()) << data.status().ToString();
  EXPECT_EQ(data->count, 150);
  EXPECT_EQ(data->features, 4);
  EXPECT_EQ(data->num_classes(), 3);
  EXPECT_FLOAT_EQ(data->x[0], 5.1f);
}

TEST(CsvTest, GzipWithoutHeader) {
  auto data = LoadCsv(kData + "/digits/digits.csv.gz");
  ASSERT_TRUE(data.ok()) << data.status().ToString();
  EXPECT_EQ(data->count, 1797);
  EXPECT_EQ(data->features, 64);
  EXPECT_EQ(data->num_classes(), 10);
}

TEST(CsvTest, WrongColumnCountNamesLine) {
  TempDir dir;
  std::string path = dir.File("bad.csv", "1,2,0\n3,4,1\n5,1\n");
  auto data = LoadCsv(path);
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status().message(), path + ":3: expected 3 columns, got 2");
  std::string label = dir.File("label.csv", "1,2,0\n3,4,x\n");
  EXPECT_FALSE(LoadCsv(label).ok());
}

TEST(DataSpecTest, RejectsUnknownKind) {
  auto data = LoadDataSpec("parquet:/x", "--data");
  ASSERT_FALSE(data.ok());
  EXPECT_NE(data.status().message().find("--data: cannot parse \"parquet:/x\""), std::string::npos);
}

TEST(NormalizerTest, StandardAndScale) {
  Dataset d;
  d.count = 3;
  d.features = 2;
  d.x = {1, 10, 2, 10, 3, 10};
  d.y = {0, 1, 0};
  auto standard = Normalizer::Fit(d, "standard");
  ASSERT_TRUE(standard.ok());
  Dataset s = d;
  standard->Apply(&s);
  EXPECT_NEAR(s.x[0], -1.2247449f, 1e-5f);
  EXPECT_NEAR(s.x[2], 0.0f, 1e-6f);
  EXPECT_FLOAT_EQ(s.x[1], 0.0f);  // constant feature
  auto scale = Normalizer::Fit(d, "scale");
  ASSERT_TRUE(scale.ok());
  scale->Apply(&d);
  EXPECT_FLOAT_EQ(d.x[4], 1.0f);
  EXPECT_FALSE(Normalizer::Fit(d, "zscore").ok());
}

TEST(SamplerTest, ShardsCoverPaddedEpochAndAgree) {
  const int n = 10;
  const int world = 3;
  std::multiset<int> seen;
  for (int r = 0; r < world; ++r) {
    DistributedSampler sampler(n, r, world, 42, true);
    EXPECT_EQ(sampler.samples_per_rank(), 4);
    auto indices = sampler.EpochIndices(5);
    ASSERT_EQ(indices.size(), 4u);
    EXPECT_EQ(indices, sampler.EpochIndices(5));  // deterministic
    seen.insert(indices.begin(), indices.end());
  }
  EXPECT_EQ(seen.size(), 12u);
  for (int i = 0; i < n; ++i) EXPECT_GE(seen.count(i), 1u);
  // Rank r takes positions r, r+W, ... of the same shuffled order.
  auto order = ShuffledOrder(n, 42 + 5);
  DistributedSampler rank1(n, 1, world, 42, true);
  auto mine = rank1.EpochIndices(5);
  EXPECT_EQ(mine[0], order[1]);
  EXPECT_EQ(mine[1], order[4]);
  EXPECT_EQ(mine[3], order[(1 + 9) % n]);  // wrapped padding
  EXPECT_NE(DistributedSampler(n, 0, 1, 42, true).EpochIndices(1),
            DistributedSampler(n, 0, 1, 42, true).EpochIndices(2));
}

TEST(ModelSpecTest, ParsesAndRejects) {
  auto mlp = ParseModelSpec("mlp:784-512-512-10");
  ASSERT_TRUE(mlp.ok());
  EXPECT_EQ(mlp->sizes, (std::vector<int>{784, 512, 512, 10}));
  EXPECT_TRUE(ParseModelSpec("cnn").ok());
  EXPECT_TRUE(ParseModelSpec("logreg:4-3").ok());
  auto bad = ParseModelSpec("mlp:784-x-10");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "cannot parse \"mlp:784-x-10\": \"x\" is not a layer width");
  EXPECT_FALSE(ParseModelSpec("mlp:784").ok());
  EXPECT_FALSE(ParseModelSpec("logreg:4-5-3").ok());
  EXPECT_FALSE(ParseModelSpec("rnn:4-3").ok());
}

TEST(SequentialTest, NamesParametersAsTorchSequential) {
  Pcg32 rng(1, 2);
  auto spec = ParseModelSpec("cnn");
  ASSERT_TRUE(spec.ok());
  auto model = Sequential::Build(*spec, {Activation::kRelu, 0.5f}, &rng);
  ASSERT_TRUE(model.ok());
  std::vector<std::string> names;
  for (const auto& p : (*model)->params().parameters()) names.push_back(p.name);
  EXPECT_EQ(names, (std::vector<std::string>{"layers.0.weight", "layers.0.bias", "layers.3.weight",
                                             "layers.3.bias", "layers.7.weight", "layers.7.bias",
                                             "layers.10.weight", "layers.10.bias"}));
  EXPECT_EQ((*model)->out_features(), 10);
  auto mlp = Sequential::Build(*ParseModelSpec("mlp:4-5-5-3"), {}, &rng);
  ASSERT_TRUE(mlp.ok());
  EXPECT_EQ((*mlp)->params().parameters()[2].name, "layers.2.weight");
  EXPECT_EQ((*mlp)->params().parameters()[4].name, "layers.4.weight");
}

TEST(SequentialTest, InitialisationBounds) {
  Pcg32 rng(1, 2);
  auto model = Sequential::Build(*ParseModelSpec("mlp:100-50-10"), {}, &rng);
  ASSERT_TRUE(model.ok());
  Pcg32 init(3, 1);
  (*model)->Initialize(&init);
  const auto& p = (*model)->params().parameters()[0];
  float max_abs = 0.0f;
  for (size_t i = 0; i < p.count; ++i) {
    max_abs = std::max(max_abs, std::fabs((*model)->params().values()[p.offset + i]));
  }
  EXPECT_LE(max_abs, 0.1f);  // 1/sqrt(100)
  EXPECT_GT(max_abs, 0.09f);
}

TEST(SafetensorsTest, RoundTripAndLayout) {
  TempDir dir;
  std::string path = dir.path() + "/t.safetensors";
  std::vector<float> a = {1, 2, 3, 4, 5, 6};
  std::vector<float> b = {-1};
  ASSERT_TRUE(WriteSafetensors(path, {{"a", {2, 3}, a.data()}, {"b", {1}, b.data()}},
                               {{"epoch", "3"}})
                  .ok());
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  uint64_t header = 0;
  for (int i = 0; i < 8; ++i) header |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  EXPECT_EQ(header % 8, 0u);
  EXPECT_EQ(bytes.size(), 8 + header + 7 * sizeof(float));
  EXPECT_NE(bytes.find("\"data_offsets\":[0,24]"), std::string::npos);
  auto file = ReadSafetensors(path);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(file->tensors["a"].data, a);
  EXPECT_EQ(file->tensors["a"].shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(file->tensors["b"].data, b);
  EXPECT_EQ(file->metadata["epoch"], "3");
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  std::string junk = dir.File("junk.safetensors", "not a safetensors file");
  EXPECT_FALSE(ReadSafetensors(junk).ok());
}

}  // namespace
}  // namespace jobctl::trainer
