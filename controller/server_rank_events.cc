// rank_events: a node's rank events and empty output manifests in one
// request (common/protocol/event_messages.h). Each item is handled exactly as
// the rank_event or outputs_commit it stands for; the whole batch is stored
// by the iteration's one group commit before the reply goes out.
#include "controller/server.h"

namespace jobctl::controller {
namespace {

// Errors the agent cannot fix by sending again: the item is refused and
// counts as delivered. Any other error fails the whole request, which the
// agent resends (every item is idempotent).
bool Permanent(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kPermissionDenied:
    case StatusCode::kAlreadyExists:
      return true;
    default:
      return false;
  }
}

}  // namespace

Result<protocol::RankEventsReply> Server::HandleRankEvents(
    const protocol::RankEventsRequest& request, const Incoming& in) {
  if (request.node_id.empty()) return InvalidArgumentError("rank_events: node_id is empty");
  RememberNode(request.node_id, in);
  protocol::RankEventsReply reply;
  auto refuse = [&](std::string item, const Status& s) {
    reply.refused.push_back({std::move(item), std::string(StatusCodeName(s.code())), s.message()});
  };
  for (size_t i = 0; i < request.events.size(); ++i) {
    const protocol::RankEventRequest& e = request.events[i];
    std::string item = "events[" + std::to_string(i) + "]";
    Status s;
    if (e.node_id.empty() || e.node_id == request.node_id) {
      if (e.node_id.empty()) {
        protocol::RankEventRequest own = e;
        own.node_id = request.node_id;
        s = jobs_.OnRankEvent(own);
      } else {
        s = jobs_.OnRankEvent(e);
      }
    } else {
      s = InvalidArgumentError("rank_events: " + item + " names node " + e.node_id +
                               ", the batch node " + request.node_id);
    }
    if (s.ok()) continue;
    if (!Permanent(s)) return s;
    refuse(std::move(item), s);
  }
  for (size_t i = 0; i < request.empty_outputs.size(); ++i) {
    const protocol::EmptyOutputs& o = request.empty_outputs[i];
    protocol::OutputsCommitRequest commit;
    commit.node_id = request.node_id;
    commit.job_id = o.job_id;
    commit.attempt = o.attempt;
    commit.node_rank = o.node_rank;
    commit.num_nodes = o.num_nodes;
    auto done = HandleOutputsCommit(commit, in);
    if (done.ok()) continue;
    if (!Permanent(done.status())) return done.status();
    refuse("empty_outputs[" + std::to_string(i) + "]", done.status());
  }
  return reply;
}

}  // namespace jobctl::controller
