// A Server on tcp://127.0.0.1:* with the in-memory state store, run in a
// thread, for tests that speak raw frames to it.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "common/transport/rpc_client.h"
#include "controller/log_store.h"
#include "controller/memory_state_store.h"
#include "controller/paths.h"
#include "controller/server.h"

namespace jobctl::controller::testing {

// An empty data dir laid out as the controller expects, named after the
// running test (and this process, so parallel runs do not share it).
inline std::filesystem::path FreshDataDir(const std::string& prefix) {
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              (prefix + "_" + std::to_string(::getpid()) + "_" +
                               ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(dir);
  EXPECT_TRUE(paths::CreateDataDirLayout(dir.string()).ok());
  return dir;
}

class RunningServer {
 public:
  RunningServer() {
    dir_ = FreshDataDir("ctl_robust");
    auto logs = LogStore::Open(paths::LogsDir(dir_.string()));
    EXPECT_TRUE(logs.ok());
    if (logs.ok()) logs_ = std::move(*logs);
    ServerOptions options;
    options.listen = "tcp://127.0.0.1:*";
    options.data_dir = dir_.string();
    options.poll_interval_ms = 10;
    server_ = std::make_unique<Server>(options, ctx_, &store_, logs_.get(), SystemClock::Get());
    started_ = server_->Start().ok();
    EXPECT_TRUE(started_);
    if (started_) thread_ = std::thread([this] { run_status_ = server_->Run(); });
  }
  ~RunningServer() {
    server_->Stop();
    if (thread_.joinable()) thread_.join();
    EXPECT_TRUE(run_status_.ok()) << run_status_.ToString();
    server_.reset();
    logs_.reset();
    std::filesystem::remove_all(dir_);
  }
  RunningServer(const RunningServer&) = delete;
  RunningServer& operator=(const RunningServer&) = delete;

  bool started() const { return started_; }
  Server& server() { return *server_; }
  const std::string& endpoint() const { return server_->endpoint(); }
  zmq::context_t& context() { return ctx_; }
  std::unique_ptr<RpcClient> NewClient() { return std::make_unique<RpcClient>(ctx_, endpoint()); }

 private:
  std::filesystem::path dir_;
  zmq::context_t ctx_{1};
  MemoryStateStore store_;
  std::unique_ptr<LogStore> logs_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  bool started_ = false;
  Status run_status_ = Status::Ok();
};

}  // namespace jobctl::controller::testing
