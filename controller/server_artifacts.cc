// Handlers for job outputs (agents upload, clients list and read) and the
// model registry. docs/outputs.md describes the flows.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/job_state.h"
#include "controller/paths.h"
#include "controller/server.h"

namespace jobctl::controller {
namespace {

// "outputs/a/b/" -> "a/b"; "./model.bin" -> "model.bin".
std::string NormalizeOutputPath(std::string path) {
  while (path.rfind("./", 0) == 0) path.erase(0, 2);
  if (path == "outputs") return "";
  if (path.rfind("outputs/", 0) == 0) path.erase(0, 8);
  while (!path.empty() && path.back() == '/') path.pop_back();
  return path;
}

}  // namespace

Status Server::OpenArtifacts() {
  if (options_.data_dir.empty()) return Status::Ok();
  JOBCTL_ASSIGN_OR_RETURN(artifacts_, ArtifactStore::Open(options_.data_dir, clock_));
  JOBCTL_ASSIGN_OR_RETURN(models_,
                          ModelRegistry::Open(paths::ModelsDbPath(options_.data_dir), clock_));
  return Status::Ok();
}

Result<ArtifactStore*> Server::Artifacts() {
  if (!artifacts_) {
    return FailedPreconditionError("this controller runs without a data dir: no outputs store");
  }
  return artifacts_.get();
}

Result<protocol::OutputsMissingReply> Server::HandleOutputsMissing(
    const protocol::OutputsMissingRequest& request, const Incoming& in) {
  RememberNode(request.node_id, in);
  JOBCTL_ASSIGN_OR_RETURN(ArtifactStore * store, Artifacts());
  JOBCTL_RETURN_IF_ERROR(jobs_.StateOf(request.job_id).status());
  JOBCTL_ASSIGN_OR_RETURN(auto missing, store->Missing(request.blobs));
  return protocol::OutputsMissingReply{std::move(missing)};
}

Result<protocol::BlobChunkReply> Server::HandleBlobChunk(const protocol::BlobChunkRequest& request,
                                                         const Incoming& in) {
  RememberNode(request.node_id, in);
  JOBCTL_ASSIGN_OR_RETURN(ArtifactStore * store, Artifacts());
  JOBCTL_RETURN_IF_ERROR(jobs_.StateOf(request.job_id).status());
  return store->PutChunk(request.sha256, request.size, request.offset, request.data.data);
}

Result<protocol::OkReply> Server::HandleOutputsCommit(const protocol::OutputsCommitRequest& request,
                                                      const Incoming& in) {
  RememberNode(request.node_id, in);
  JOBCTL_ASSIGN_OR_RETURN(ArtifactStore * store, Artifacts());
  JOBCTL_RETURN_IF_ERROR(jobs_.StateOf(request.job_id).status());
  JOBCTL_RETURN_IF_ERROR(store->CommitOutputs(request));
  int64_t bytes = 0;
  for (const auto& f : request.files) bytes += f.size;
  if (request.error.empty()) {
    spdlog::info("job {} attempt {}: node {} stored its outputs ({} files, {} bytes)",
                 request.job_id, request.attempt, request.node_id, request.files.size(), bytes);
  } else {
    spdlog::warn("job {} attempt {}: node {} could not upload its outputs: {}", request.job_id,
                 request.attempt, request.node_id, request.error);
  }
  return protocol::OkReply{};
}

Result<protocol::ListOutputsReply> Server::HandleListOutputs(
    const protocol::ListOutputsRequest& request, const Incoming& in) {
  JOBCTL_ASSIGN_OR_RETURN(ArtifactStore * store, Artifacts());
  JOBCTL_RETURN_IF_ERROR(CheckJobAccess(in, request.job_id));
  JOBCTL_ASSIGN_OR_RETURN(protocol::JobDetail job, jobs_.Get(request.job_id));
  auto state = ParseJobState(job.summary.state);
  bool terminal = state && IsTerminal(*state);
  int current = job.summary.attempt;
  int attempt = request.attempt > 0 ? request.attempt : current;
  if (attempt > current) {
    return NotFoundError("job " + request.job_id + " has no attempt " + std::to_string(attempt));
  }
  JOBCTL_ASSIGN_OR_RETURN(AttemptOutputs outputs, store->Outputs(request.job_id, attempt));

  protocol::ListOutputsReply reply;
  reply.job_id = request.job_id;
  reply.attempt = attempt;
  reply.nodes = attempt == current ? static_cast<int>(job.nodes.size()) : 0;
  if (!outputs.nodes.empty()) reply.nodes = outputs.nodes.front().num_nodes;
  std::vector<std::string> errors;
  for (const auto& n : outputs.nodes) {
    if (n.error.empty()) {
      ++reply.nodes_committed;
    } else {
      errors.push_back("node " + n.node_id + ": " + n.error);
    }
  }
  bool live_attempt = attempt == current && !terminal;
  // Whether the attempt was ever sent to nodes (after a controller restart
  // the placement of an ended attempt may be unknown; its transitions are not).
  bool ran = std::any_of(job.transitions.begin(), job.transitions.end(),
                         [&](const protocol::StateTransition& t) {
                           return t.attempt == attempt && t.to == "PREPARING";
                         });
  if (!errors.empty()) {
    reply.status = "failed";
    for (const auto& e : errors) reply.reason += (reply.reason.empty() ? "" : "; ") + e;
  } else if (reply.nodes > 0 && reply.nodes_committed >= reply.nodes) {
    reply.status = "ready";
  } else if (live_attempt) {
    reply.status = "pending";
    reply.reason = "the attempt has not ended (job " + job.summary.state + ")";
  } else if (reply.nodes == 0 && !ran) {
    reply.status = "none";
    reply.reason = "no attempt of the job ran";
  } else {
    reply.status = "uploading";
    // A node of the attempt that is gone will never upload.
    if (attempt == current) {
      for (size_t i = 0; i < job.nodes.size(); ++i) {
        bool committed = std::any_of(outputs.nodes.begin(), outputs.nodes.end(),
                                     [&](const NodeOutputs& n) { return n.node_rank == int(i); });
        const NodeEntry* node = nodes_.Find(job.nodes[i]);
        if (!committed && (node == nullptr || !node->ready)) {
          reply.status = "failed";
          reply.reason = "node " + job.nodes[i] + " was lost before it uploaded its outputs";
          break;
        }
      }
    }
  }
  if (reply.status == "ready" || reply.status == "failed") reply.files = std::move(outputs.files);
  return reply;
}

Result<protocol::ReadBlobReply> Server::HandleReadBlob(const protocol::ReadBlobRequest& request,
                                                       const Incoming&) {
  JOBCTL_ASSIGN_OR_RETURN(ArtifactStore * store, Artifacts());
  protocol::ReadBlobReply reply;
  JOBCTL_ASSIGN_OR_RETURN(reply.data.data, store->ReadBlob(request.sha256, request.offset,
                                                           request.length, &reply.size));
  return reply;
}

Result<protocol::RegisterModelReply> Server::HandleRegisterModel(
    const protocol::RegisterModelRequest& request, const Incoming& in) {
  JOBCTL_RETURN_IF_ERROR(Artifacts().status());
  JOBCTL_RETURN_IF_ERROR(ValidateModelName(request.name));
  std::string path = NormalizeOutputPath(request.path);
  if (path.empty()) {
    return InvalidArgumentError(
        "--path: name a file or folder of the job's outputs, e.g. "
        "outputs/model.safetensors");
  }
  if (Status s = ValidateOutputPath(path); !s.ok()) {
    return InvalidArgumentError("--path: " + s.message());
  }
  protocol::ListOutputsRequest list;
  list.job_id = request.job_id;
  JOBCTL_ASSIGN_OR_RETURN(auto outputs, HandleListOutputs(list, in));
  if (outputs.status != "ready") {
    return FailedPreconditionError("job " + request.job_id + "'s outputs are " + outputs.status +
                                   (outputs.reason.empty() ? "" : " (" + outputs.reason + ")") +
                                   "; a model can be registered once they are ready");
  }
  protocol::ModelVersion model;
  model.name = request.name;
  model.job_id = request.job_id;
  model.attempt = outputs.attempt;
  model.path = path;
  model.description = request.description;
  model.tags = request.tags;
  for (const auto& f : outputs.files) {
    if (f.path == path || f.path.rfind(path + "/", 0) == 0) model.files.push_back(f);
  }
  if (model.files.empty()) {
    std::string some;
    for (size_t i = 0; i < outputs.files.size() && i < 5; ++i) {
      some += (i ? ", " : "") + outputs.files[i].path;
    }
    if (outputs.files.size() > 5) some += ", ...";
    return InvalidArgumentError(
        "--path: job " + request.job_id + " did not produce outputs/" + path +
        (some.empty() ? " (it has no outputs)" : " (its outputs: " + some + ")"));
  }
  JOBCTL_ASSIGN_OR_RETURN(auto stored, models_->Register(std::move(model)));
  spdlog::info("model {} version {}: job {} outputs/{}", stored.name, stored.version, stored.job_id,
               stored.path);
  return protocol::RegisterModelReply{std::move(stored)};
}

Result<protocol::ListModelsReply> Server::HandleListModels(const protocol::ListModelsRequest&,
                                                           const Incoming&) {
  JOBCTL_RETURN_IF_ERROR(Artifacts().status());
  JOBCTL_ASSIGN_OR_RETURN(auto models, models_->List());
  return protocol::ListModelsReply{std::move(models)};
}

Result<protocol::GetModelReply> Server::HandleGetModel(const protocol::GetModelRequest& request,
                                                       const Incoming&) {
  JOBCTL_RETURN_IF_ERROR(Artifacts().status());
  protocol::GetModelReply reply;
  JOBCTL_ASSIGN_OR_RETURN(reply.model, models_->Get(request.name, request.version));
  JOBCTL_ASSIGN_OR_RETURN(reply.versions, models_->Versions(request.name));
  return reply;
}

}  // namespace jobctl::controller
