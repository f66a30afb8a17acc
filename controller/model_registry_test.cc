#include "controller/model_registry.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

namespace jobctl::controller {
namespace {

class ModelRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() + "/model_registry_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
    Reopen();
  }
  void TearDown() override {
    registry_.reset();
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
  }
  void Reopen() {
    registry_.reset();
    auto r = ModelRegistry::Open(path_, &clock_);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    registry_ = std::move(*r);
  }
  protocol::ModelVersion Model(const std::string& name, const std::string& job) {
    protocol::ModelVersion m;
    m.name = name;
    m.job_id = job;
    m.attempt = 1;
    m.path = "model.safetensors";
    m.tags = {{"lr", "0.01"}};
    m.files = {{"model.safetensors", 123, std::string(64, 'a'), 0644}};
    return m;
  }

  FakeClock clock_;
  std::string path_;
  std::unique_ptr<ModelRegistry> registry_;
};

TEST_F(ModelRegistryTest, VersionsCountUpPerName) {
  auto v1 = registry_->Register(Model("mnist", "1"));
  ASSERT_TRUE(v1.ok()) << v1.status().ToString();
  EXPECT_EQ(v1->version, 1);
  EXPECT_EQ(v1->size, 123);
  auto v2 = registry_->Register(Model("mnist", "2"));
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(v2->version, 2);
  auto other = registry_->Register(Model("iris", "3"));
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->version, 1);

  Reopen();
  auto latest = registry_->Get("mnist", 0);
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->version, 2);
  EXPECT_EQ(latest->job_id, "2");
  EXPECT_EQ(latest->tags.at("lr"), "0.01");
  ASSERT_EQ(latest->files.size(), 1u);
  auto first = registry_->Get("mnist", 1);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->job_id, "1");
  auto list = registry_->List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "iris");
  EXPECT_EQ((*list)[1].name, "mnist");
  EXPECT_EQ((*list)[1].latest_version, 2);
  EXPECT_EQ((*list)[1].versions, 2);
  auto versions = registry_->Versions("mnist");
  ASSERT_TRUE(versions.ok());
  EXPECT_EQ(*versions, (std::vector<int>{1, 2}));
}

TEST_F(ModelRegistryTest, NotFound) {
  ASSERT_TRUE(registry_->Register(Model("mnist", "1")).ok());
  EXPECT_EQ(registry_->Get("nope", 0).status().code(), StatusCode::kNotFound);
  auto missing = registry_->Get("mnist", 9);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("latest: 1"), std::string::npos);
}

TEST_F(ModelRegistryTest, BadNamesAndEmptyModelsAreRefused) {
  for (const std::string& bad :
       std::vector<std::string>{"", "a:b", "a/b", "-x", std::string(129, 'a')}) {
    EXPECT_EQ(registry_->Register(Model(bad, "1")).status().code(), StatusCode::kInvalidArgument)
        << bad;
  }
  auto empty = Model("empty", "1");
  empty.files.clear();
  EXPECT_FALSE(registry_->Register(empty).ok());
  auto list = registry_->List();
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
}

}  // namespace
}  // namespace jobctl::controller
