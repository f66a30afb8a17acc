// `jobctl model register|list|show|download`: the model registry.
#include <charconv>
#include <cstdio>
#include <memory>

#include "cli/commands/command.h"
#include "cli/commands/outputs_common.h"
#include "cli/exit_codes.h"
#include "cli/output.h"

namespace jobctl::cli {
namespace {

struct RegisterOptions {
  std::string name;
  std::string job_id;
  std::string path;
  std::vector<std::string> tags;
  std::string description;
  std::string output = "table";
};

struct ModelRefOptions {
  std::string ref;  // NAME[:VERSION]
  std::string dir = ".";
  std::string output = "table";
};

struct ListModelOptions {
  std::string output = "table";
};

void Print(const std::string& text) { std::fwrite(text.data(), 1, text.size(), stdout); }

// NAME or NAME:VERSION (VERSION a positive integer).
bool ParseRef(const std::string& ref, std::string* name, int* version) {
  size_t colon = ref.rfind(':');
  *version = 0;
  *name = ref;
  if (colon == std::string::npos) return !ref.empty();
  *name = ref.substr(0, colon);
  std::string v = ref.substr(colon + 1);
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), *version);
  return !name->empty() && ec == std::errc() && ptr == v.data() + v.size() && *version > 0;
}

nlohmann::json ModelJson(const protocol::ModelVersion& m) {
  return {{"name", m.name},
          {"version", m.version},
          {"job_id", m.job_id},
          {"attempt", m.attempt},
          {"path", "outputs/" + m.path},
          {"description", m.description},
          {"tags", m.tags},
          {"created", FormatIsoTime(m.created_ms)},
          {"created_ms", m.created_ms},
          {"size", m.size},
          {"files", FilesJson(m.files)}};
}

int RunRegister(const GlobalOptions& global, const RegisterOptions& options) {
  protocol::RegisterModelRequest request;
  request.name = options.name;
  request.job_id = options.job_id;
  request.path = options.path;
  request.description = options.description;
  for (const auto& tag : options.tags) {
    size_t eq = tag.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::fprintf(stderr, "jobctl: --tag '%s': expected KEY=VALUE\n", tag.c_str());
      return kExitUsage;
    }
    request.tags[tag.substr(0, eq)] = tag.substr(eq + 1);
  }
  return WithClient(global, [&](ControllerClient& client) {
    auto reply = client.Call<protocol::RegisterModelReply>(request);
    if (!reply.ok()) return ReportError(reply.status(), client.endpoint());
    const auto& m = reply->model;
    if (options.output == "json") {
      Print(DumpJson(ModelJson(m)));
    } else {
      std::printf("registered model %s version %d: job %s outputs/%s (%zu files, %s)\n",
                  m.name.c_str(), m.version, m.job_id.c_str(), m.path.c_str(), m.files.size(),
                  FormatBytes(m.size).c_str());
    }
    return kExitOk;
  });
}

int RunList(const GlobalOptions& global, const ListModelOptions& options) {
  return WithClient(global, [&](ControllerClient& client) {
    auto reply = client.Call<protocol::ListModelsReply>(protocol::ListModelsRequest{});
    if (!reply.ok()) return ReportError(reply.status(), client.endpoint());
    if (options.output == "json") {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& m : reply->models) {
        out.push_back({{"name", m.name},
                       {"latest_version", m.latest_version},
                       {"versions", m.versions},
                       {"updated", FormatIsoTime(m.updated_ms)},
                       {"updated_ms", m.updated_ms},
                       {"description", m.description}});
      }
      Print(DumpJson(out));
      return kExitOk;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& m : reply->models) {
      rows.push_back({m.name, std::to_string(m.latest_version), std::to_string(m.versions),
                      FormatIsoTime(m.updated_ms), m.description});
    }
    Print(RenderTable({"NAME", "LATEST", "VERSIONS", "UPDATED", "DESCRIPTION"}, rows));
    return kExitOk;
  });
}

// Calls get_model for NAME[:VERSION]; returns the exit status on failure.
int GetModel(ControllerClient& client, const std::string& ref, protocol::GetModelReply* out) {
  protocol::GetModelRequest request;
  if (!ParseRef(ref, &request.name, &request.version)) {
    std::fprintf(stderr, "jobctl: '%s': expected NAME or NAME:VERSION (VERSION 1, 2, ...)\n",
                 ref.c_str());
    return kExitUsage;
  }
  auto reply = client.Call<protocol::GetModelReply>(request);
  if (!reply.ok()) return ReportError(reply.status(), client.endpoint());
  *out = std::move(*reply);
  return kExitOk;
}

int RunShow(const GlobalOptions& global, const ModelRefOptions& options) {
  return WithClient(global, [&](ControllerClient& client) {
    protocol::GetModelReply reply;
    if (int rc = GetModel(client, options.ref, &reply); rc != kExitOk) return rc;
    const auto& m = reply.model;
    if (options.output == "json") {
      auto j = ModelJson(m);
      j["all_versions"] = reply.versions;
      Print(DumpJson(j));
      return kExitOk;
    }
    std::string tags;
    for (const auto& [k, v] : m.tags) tags += (tags.empty() ? "" : ", ") + k + "=" + v;
    std::string versions;
    for (int v : reply.versions) versions += (versions.empty() ? "" : ", ") + std::to_string(v);
    std::printf(
        "Model:        %s\nVersion:      %d (versions: %s)\nJob:          %s (attempt %d)\n"
        "Path:         outputs/%s\nSize:         %s in %zu files\nCreated:      %s\n"
        "Tags:         %s\nDescription:  %s\n\n",
        m.name.c_str(), m.version, versions.c_str(), m.job_id.c_str(), m.attempt, m.path.c_str(),
        FormatBytes(m.size).c_str(), m.files.size(), FormatIsoTime(m.created_ms).c_str(),
        tags.empty() ? "-" : tags.c_str(), m.description.empty() ? "-" : m.description.c_str());
    Print(FormatFilesTable(m.files));
    return kExitOk;
  });
}

int RunDownload(const GlobalOptions& global, const ModelRefOptions& options) {
  return WithClient(global, [&](ControllerClient& client) {
    protocol::GetModelReply reply;
    if (int rc = GetModel(client, options.ref, &reply); rc != kExitOk) return rc;
    auto items = SelectFiles(reply.model.files, reply.model.path, options.dir,
                             /*strip_parent=*/true);
    if (!items.ok()) {
      std::fprintf(stderr, "jobctl: %s\n", items.status().message().c_str());
      return kExitFailed;
    }
    return FetchAndReport(client, *items, options.output);
  });
}

}  // namespace

void RegisterModel(CLI::App& app, GlobalOptions& global, CommandTable& table) {
  CLI::App* model = app.add_subcommand(
      "model",
      "The model registry: name a file or folder of a job's outputs as a model version "
      "(1, 2, ...), list, show and download versions");
  model->require_subcommand(1);
  // `jobctl model VERB`: main runs the group's runner, which runs the verb's.
  auto verbs = std::make_shared<CommandTable>();
  table.Add(model, [model, verbs]() -> int {
    for (const CLI::App* sub : model->get_subcommands()) {
      if (const Runner* runner = verbs->Find(sub)) return (*runner)();
    }
    std::fprintf(stderr, "jobctl: model: no verb given; see jobctl model --help\n");
    return kExitUsage;
  });
  model->footer(
      "Examples:\n"
      "  jobctl model register mnist --job 12 --path outputs/model.safetensors "
      "--tag lr=0.01\n"
      "  jobctl model list\n  jobctl model show mnist:2\n"
      "  jobctl model download mnist -d ./models\n\n" +
      ExitStatusHelp());

  auto reg = std::make_shared<RegisterOptions>();
  CLI::App* cmd = model->add_subcommand(
      "register",
      "Register a file or folder of a finished job's outputs as the next version of NAME "
      "(nothing is copied: the version refers to the job's stored files)");
  cmd->add_option("name", reg->name, "Model name: letters, digits, '.', '_', '-' (at most 128)")
      ->required();
  cmd->add_option("--job", reg->job_id, "The job whose outputs hold the model")->required();
  cmd->add_option("--path", reg->path,
                  "A file or folder of the job's outputs, e.g. outputs/model.safetensors "
                  "(the 'outputs/' prefix is optional)")
      ->required();
  cmd->add_option("--tag", reg->tags, "KEY=VALUE; repeatable");
  cmd->add_option("--description", reg->description, "Free text");
  cmd->add_option("-o,--output", reg->output,
                  "table (one line), or json: {name, version, job_id, attempt, path, "
                  "description, tags, created, created_ms, size, files}")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  cmd->footer(
      "A path the job did not produce, or a job that does not exist, exits 2 and\n"
      "registers nothing; a job whose outputs are not ready yet exits 1.\n\n"
      "Example:\n  jobctl model register mnist --job 12 --path "
      "outputs/model.safetensors --tag lr=0.01 --description 'MLP 784-512-10'\n\n" +
      ExitStatusHelp());
  verbs->Add(cmd, [&global, reg] { return RunRegister(global, *reg); });

  auto list = std::make_shared<ListModelOptions>();
  cmd = model->add_subcommand("list", "List models: latest version, number of versions");
  cmd->add_option("-o,--output", list->output,
                  "table, or json: [{name, latest_version, versions, updated, updated_ms, "
                  "description}]")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  cmd->footer("Example:\n  jobctl model list -o json\n\n" + ExitStatusHelp());
  verbs->Add(cmd, [&global, list] { return RunList(global, *list); });

  auto show = std::make_shared<ModelRefOptions>();
  cmd = model->add_subcommand("show", "Show a model version (the latest without :VERSION)");
  cmd->add_option("model", show->ref, "NAME or NAME:VERSION")->required();
  cmd->add_option("-o,--output", show->output,
                  "table, or json: the register fields plus all_versions")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  cmd->footer("Examples:\n  jobctl model show mnist\n  jobctl model show mnist:1 -o json\n\n" +
              ExitStatusHelp());
  verbs->Add(cmd, [&global, show] { return RunShow(global, *show); });

  auto download = std::make_shared<ModelRefOptions>();
  cmd = model->add_subcommand(
      "download",
      "Download a model version (the latest without :VERSION) into DIR: a file model as "
      "DIR/FILE, a folder model as DIR/FOLDER/...; every file's sha256 is checked");
  cmd->add_option("model", download->ref, "NAME or NAME:VERSION")->required();
  cmd->add_option("-d,--dir", download->dir, "Where to write (default: .)")->capture_default_str();
  cmd->add_option("-o,--output", download->output,
                  "table (a summary line), or json: {files, bytes, seconds, items}")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  cmd->footer(
      "Examples:\n  jobctl model download mnist -d ./models\n"
      "  jobctl model download mnist:1 -d /tmp/v1\n\n" +
      ExitStatusHelp());
  verbs->Add(cmd, [&global, download] { return RunDownload(global, *download); });
}

}  // namespace jobctl::cli
