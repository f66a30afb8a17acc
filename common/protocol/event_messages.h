// rank_events (agent -> controller): several rank events and empty output
// manifests of one node in one message (docs/protocol.md, "Agent ->
// controller").
//
// An agent sends one report at a time and retries it until acknowledged;
// whatever became ready while a report was in flight goes out together in the
// next one, in the order it was reported. `events` are rank_event bodies
// (their node_id may be left empty: the batch's node_id applies), applied in
// order. `empty_outputs` are the manifests of attempts that wrote no output on
// this node: each is stored exactly like an outputs_commit that lists no file
// and no error. The controller answers once everything is stored (one group
// commit); an item it will never take (an unknown job, a rank out of range)
// is named in `refused` and counts as acknowledged, like a refused
// rank_event. A retryable failure of any item fails the whole request, and
// the agent resends it: every item is idempotent.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/protocol/messages.h"

namespace jobctl::protocol {

// One node's part of an attempt that wrote no output file.
struct EmptyOutputs {
  std::string job_id;
  int attempt = 0;
  int node_rank = 0;
  int num_nodes = 1;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(EmptyOutputs, job_id, attempt, node_rank, num_nodes)

struct RankEventsRequest {
  static constexpr std::string_view kType = "rank_events";
  std::string node_id;
  std::vector<RankEventRequest> events;
  std::vector<EmptyOutputs> empty_outputs;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(RankEventsRequest, node_id, events, empty_outputs)

// An item the controller will never take: `item` is "events[I]" or
// "empty_outputs[I]", `code` a canonical status code name.
struct RefusedItem {
  std::string item;
  std::string code;
  std::string message;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(RefusedItem, item, code, message)

struct RankEventsReply {
  static constexpr std::string_view kType = "rank_events_reply";
  std::vector<RefusedItem> refused;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(RankEventsReply, refused)

}  // namespace jobctl::protocol
