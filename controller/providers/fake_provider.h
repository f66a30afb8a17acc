// FakeProvider: a NodeProvider for tests. Create() names nodes POOL-1,
// POOL-2, ... and answers at once (or, with answer_at_once false, when the
// test calls Answer()); Delete() is recorded and answered at once. Nothing
// registers by itself: the test adds the nodes it wants to see registered.
//
// Thread-safety: not thread-safe.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "controller/providers/provider.h"

namespace jobctl::controller {

class FakeProvider : public NodeProvider {
 public:
  explicit FakeProvider(std::string pool) : pool_(std::move(pool)) {}

  uint64_t Create(int count) override {
    uint64_t request = next_request_++;
    creates.push_back(count);
    ProviderEvent e{ProviderEvent::Kind::kCreated, request, count, {}, ""};
    if (fail_creates) {
      e.kind = ProviderEvent::Kind::kCreateFailed;
      e.error = "fake failure";
    } else {
      for (int i = 0; i < count; ++i) e.nodes.push_back(pool_ + "-" + std::to_string(++next_node_));
    }
    (answer_at_once ? events_ : held_).push_back(std::move(e));
    return request;
  }
  void Delete(const std::string& node_id) override {
    deletes.push_back(node_id);
    events_.push_back(ProviderEvent{ProviderEvent::Kind::kDeleted, 0, 0, {node_id}, ""});
  }
  std::vector<ProviderEvent> Poll() override { return std::exchange(events_, {}); }
  std::string type() const override { return "fake"; }

  // Releases the held create answers.
  void Answer() {
    for (auto& e : held_) events_.push_back(std::move(e));
    held_.clear();
  }
  int TotalCreated() const {
    int n = 0;
    for (int c : creates) n += c;
    return n;
  }

  bool answer_at_once = true;
  bool fail_creates = false;
  std::vector<int> creates;          // count per Create() call
  std::vector<std::string> deletes;  // node ids, in call order

 private:
  std::string pool_;
  uint64_t next_request_ = 1;
  int next_node_ = 0;
  std::vector<ProviderEvent> events_;
  std::vector<ProviderEvent> held_;
};

}  // namespace jobctl::controller
