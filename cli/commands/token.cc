// `jobctl login`, `jobctl whoami` and `jobctl token create|list|revoke`:
// credentials for the controller (docs/security.md).
#include "common/auth/token.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "cli/commands/command.h"
#include "cli/config.h"
#include "cli/exit_codes.h"
#include "cli/output.h"
#include "common/auth/client_credentials.h"
#include "common/protocol/auth_messages.h"
#include "common/protocol/messages.h"

namespace jobctl::cli {

namespace {

struct OutputOption {
  std::string output = "table";
};

struct CreateOptions {
  bool agent = false;
  std::string user;
  std::string name;
  bool admin = false;
  std::string out_file;
  std::string output = "table";
};

struct RevokeOptions {
  std::string id;
  std::string output = "table";
};

void AddOutputOption(CLI::App* cmd, std::string& output, const std::string& json_fields) {
  cmd->add_option("-o,--output", output, "table, or json: " + json_fields)
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
}

nlohmann::json TokenInfoJson(const protocol::TokenInfo& t) {
  return {{"id", t.id},
          {"kind", t.kind},
          {"name", t.name},
          {"admin", t.admin},
          {"created", FormatIsoTime(t.created_ms)},
          {"created_ms", t.created_ms}};
}

std::string Role(const protocol::TokenInfo& t) {
  if (t.kind == "agent") return "agent";
  return t.admin ? "admin" : "user";
}

void Print(const std::string& text) { std::fwrite(text.data(), 1, text.size(), stdout); }

int Usage(const std::string& message) {
  std::fprintf(stderr, "jobctl: %s\n", message.c_str());
  return kExitUsage;
}

// The token `login` stores: --token-file FILE, else the first non-empty line
// of stdin (never from the command line, where it would land in the shell's
// history and in `ps`).
Result<auth::Token> ReadLoginToken(const std::string& token_file) {
  if (!token_file.empty()) {
    auto token = auth::ReadTokenFile(token_file);
    if (!token.ok()) return InvalidArgumentError("--token-file: " + token.status().message());
    return token;
  }
  if (::isatty(STDIN_FILENO)) std::fprintf(stderr, "paste the token and press Enter: ");
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.find_first_not_of(" \t\r") != std::string::npos) break;
    line.clear();
  }
  if (line.empty()) {
    return InvalidArgumentError(
        "no token: pass --token-file FILE or give the token on standard input (an admin makes "
        "one with `jobctl token create --user NAME`)");
  }
  auto token = auth::ParseToken(line);
  if (!token.ok()) return InvalidArgumentError("standard input: " + token.status().message());
  return token;
}

int RunLogin(const GlobalOptions& global, const OutputOption& options) {
  auto address = ResolveControllerAddress(global.controller, ProcessEnv);
  if (!address.ok()) return Usage(address.status().message());
  if (global.timeout_ms <= 0)
    return Usage("--timeout-ms: expected a positive number of milliseconds");
  auto token = ReadLoginToken(global.token_file);
  if (!token.ok()) return Usage(token.status().message());
  if (token->kind != auth::TokenKind::kUser) {
    return Usage(
        "an agent token cannot log in: use it with `jobagent --token-file`, and log in "
        "with a user token (`jobctl token create --user NAME`)");
  }
  auto creds = auth::CredentialsFromToken(*token);
  if (!creds.ok()) return Usage("token: " + creds.status().message());
  ControllerClient client(address->endpoint, std::chrono::milliseconds(global.timeout_ms), *creds);
  auto who = client.Call<protocol::WhoAmIReply>(protocol::WhoAmIRequest{});
  if (!who.ok()) return ReportError(who.status(), client.endpoint());
  std::string config_path = UserConfigPath(ProcessEnv);
  Status stored = WriteLoginToConfig(config_path, address->endpoint, token->Encode());
  if (!stored.ok()) {
    std::fprintf(stderr, "jobctl: cannot store the login: %s\n", stored.message().c_str());
    return kExitFailed;
  }
  if (options.output == "json") {
    Print(DumpJson({{"controller", address->endpoint},
                    {"config", config_path},
                    {"identity", TokenInfoJson(who->identity)}}));
  } else {
    std::printf("logged in to %s as %s%s (token %s, stored in %s)\n", address->endpoint.c_str(),
                who->identity.name.c_str(), who->identity.admin ? " (admin)" : "",
                who->identity.id.c_str(), config_path.c_str());
  }
  return kExitOk;
}

int RunWhoAmI(const GlobalOptions& global, const OutputOption& options) {
  return WithClient(global, [&](ControllerClient& client) {
    auto who = client.Call<protocol::WhoAmIReply>(protocol::WhoAmIRequest{});
    if (!who.ok()) return ReportError(who.status(), client.endpoint());
    if (options.output == "json") {
      nlohmann::json j = TokenInfoJson(who->identity);
      j["controller"] = client.endpoint();
      Print(DumpJson(j));
    } else {
      std::printf("%s (%s, token %s) at %s\n", who->identity.name.c_str(),
                  Role(who->identity).c_str(), who->identity.id.c_str(), client.endpoint().c_str());
    }
    return kExitOk;
  });
}

int RunCreate(const GlobalOptions& global, const CreateOptions& options) {
  if (options.agent == !options.user.empty()) {
    return Usage("token create: give exactly one of --agent and --user NAME");
  }
  if (options.agent && options.admin) return Usage("token create: --admin is for --user tokens");
  if (!options.user.empty() && !options.name.empty()) {
    return Usage("token create: --name labels --agent tokens; a user token is named by --user");
  }
  protocol::CreateTokenRequest req;
  req.kind = options.agent ? "agent" : "user";
  req.name = options.agent ? options.name : options.user;
  req.admin = options.admin;
  return WithClient(global, [&](ControllerClient& client) {
    auto reply = client.Call<protocol::CreateTokenReply>(req);
    if (!reply.ok()) return ReportError(reply.status(), client.endpoint());
    if (!options.out_file.empty()) {
      auto token = auth::ParseToken(reply->token);
      Status written = token.ok() ? auth::WriteTokenFile(options.out_file, *token) : token.status();
      if (!written.ok()) {
        std::fprintf(stderr, "jobctl: the token %s was created but not written: %s\n",
                     reply->info.id.c_str(), written.message().c_str());
        return kExitFailed;
      }
    }
    if (options.output == "json") {
      nlohmann::json j = TokenInfoJson(reply->info);
      j["token"] = reply->token;
      if (!options.out_file.empty()) j["file"] = options.out_file;
      Print(DumpJson(j));
      return kExitOk;
    }
    if (options.out_file.empty()) std::printf("%s\n", reply->token.c_str());
    std::fprintf(stderr, "created %s token %s for %s%s%s; it is shown only once%s\n",
                 reply->info.kind.c_str(), reply->info.id.c_str(),
                 reply->info.name.empty() ? "(no label)" : reply->info.name.c_str(),
                 reply->info.admin ? " (admin)" : "",
                 options.out_file.empty() ? "" : (", written to " + options.out_file).c_str(),
                 options.agent ? " (start agents with jobagent --token-file FILE)"
                               : " (its user runs `jobctl login` with it)");
    return kExitOk;
  });
}

int RunList(const GlobalOptions& global, const OutputOption& options) {
  return WithClient(global, [&](ControllerClient& client) {
    auto reply = client.Call<protocol::ListTokensReply>(protocol::ListTokensRequest{});
    if (!reply.ok()) return ReportError(reply.status(), client.endpoint());
    if (options.output == "json") {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& t : reply->tokens) out.push_back(TokenInfoJson(t));
      Print(DumpJson(out));
      return kExitOk;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& t : reply->tokens) {
      rows.push_back({t.id, t.kind, t.name.empty() ? "-" : t.name, t.admin ? "yes" : "no",
                      FormatIsoTime(t.created_ms)});
    }
    Print(RenderTable({"ID", "KIND", "NAME", "ADMIN", "CREATED"}, rows));
    return kExitOk;
  });
}

int RunRevoke(const GlobalOptions& global, const RevokeOptions& options) {
  protocol::RevokeTokenRequest req;
  req.id = options.id;
  return WithClient(global, [&](ControllerClient& client) {
    auto reply = client.Call<protocol::OkReply>(req);
    if (!reply.ok()) return ReportError(reply.status(), client.endpoint());
    if (options.output == "json") {
      Print(DumpJson({{"id", options.id}, {"revoked", true}}));
    } else {
      std::printf(
          "revoked token %s: its holder is refused from now on, also on open "
          "connections\n",
          options.id.c_str());
    }
    return kExitOk;
  });
}

}  // namespace

void RegisterToken(CLI::App& app, GlobalOptions& global, CommandTable& table) {
  const std::string kInfoFields =
      "id, kind (agent|user), name, admin, created (ISO-8601), created_ms";

  auto login = std::make_shared<OutputOption>();
  CLI::App* cmd = app.add_subcommand(
      "login",
      "Check a user token with the controller and store it, with the controller's address, "
      "in the user's config file (mode 0600), so later commands need no flags. The token is "
      "read from --token-file FILE or from standard input, never from the command line.");
  AddOutputOption(cmd, login->output,
                  "controller, config (the file written), identity {" + kInfoFields + "}");
  cmd->footer(
      "Examples:\n  jobctl login --controller tcp://ctl.example:7070 --token-file alice.token\n"
      "  jobctl login --controller tcp://ctl.example:7070 < alice.token\n\n"
      "An admin makes the token with `jobctl token create --user NAME`. For a local\n"
      "cluster, `jobctl up` logs in as admin by itself.\n\n" +
      ExitStatusHelp());
  table.Add(cmd, [&global, login] { return RunLogin(global, *login); });

  auto whoami = std::make_shared<OutputOption>();
  cmd = app.add_subcommand("whoami", "Show who the controller takes these credentials for");
  AddOutputOption(cmd, whoami->output, kInfoFields + ", controller");
  cmd->footer("Examples:\n  jobctl whoami\n  jobctl whoami -o json\n\n" + ExitStatusHelp());
  table.Add(cmd, [&global, whoami] { return RunWhoAmI(global, *whoami); });

  CLI::App* token = app.add_subcommand(
      "token",
      "Create, list and revoke the tokens agents join with and users log in with (admin only)");
  token->require_subcommand(1);
  // `jobctl token VERB`: main runs the group's runner, which runs the verb's.
  auto verbs = std::make_shared<CommandTable>();
  table.Add(token, [token, verbs]() -> int {
    for (const CLI::App* sub : token->get_subcommands()) {
      if (const Runner* runner = verbs->Find(sub)) return (*runner)();
    }
    std::fprintf(stderr, "jobctl: token: no verb given; see jobctl token --help\n");
    return kExitUsage;
  });
  token->footer(
      "A token holds the controller's public key and the holder's secret key; the\n"
      "controller keeps only the holder's public key, so a lost token cannot be\n"
      "shown again: revoke it and create another.\n\n"
      "Examples:\n"
      "  jobctl token create --agent --name rack-3 --out agent.token\n"
      "  jobctl token create --user alice > alice.token\n"
      "  jobctl token list\n"
      "  jobctl token revoke 3f9a1c0b7d2e\n\n" +
      ExitStatusHelp());

  auto create = std::make_shared<CreateOptions>();
  cmd = token->add_subcommand(
      "create",
      "Create a token: --agent for jobagent (`jobagent --token-file FILE`), or --user NAME for "
      "a person (`jobctl login`; NAME owns the jobs submitted with it). Prints the token once on "
      "standard output (or writes it to --out FILE, mode 0600); what it is goes to stderr.");
  cmd->add_flag("--agent", create->agent, "An agent join token");
  cmd->add_option("--user", create->user,
                  "A user token for NAME ([a-z_][a-z0-9_.-]{0,31}); jobs submitted with it "
                  "belong to NAME, who sees and controls only those");
  cmd->add_option("--name", create->name, "A label for an agent token (shown by token list)");
  cmd->add_flag("--admin", create->admin,
                "With --user: the user may see and control every job and manage tokens");
  cmd->add_option("--out", create->out_file,
                  "Write the token to FILE (mode 0600) instead of standard output");
  AddOutputOption(cmd, create->output, kInfoFields + ", token, file");
  cmd->footer(
      "Examples:\n  jobctl token create --agent --name rack-3 --out agent.token\n"
      "  jobctl token create --user alice > alice.token\n"
      "  jobctl token create --user bob --admin -o json\n\n" +
      ExitStatusHelp());
  verbs->Add(cmd, [&global, create] { return RunCreate(global, *create); });

  auto list = std::make_shared<OutputOption>();
  cmd = token->add_subcommand("list",
                              "List the tokens the controller knows: id, kind, name, admin, "
                              "created (never the tokens themselves)");
  AddOutputOption(cmd, list->output, "an array of {" + kInfoFields + "}");
  cmd->footer("Examples:\n  jobctl token list\n  jobctl token list -o json\n\n" + ExitStatusHelp());
  verbs->Add(cmd, [&global, list] { return RunList(global, *list); });

  auto revoke = std::make_shared<RevokeOptions>();
  cmd = token->add_subcommand("revoke",
                              "Forget a token: its holder is refused at once, also on "
                              "connections already open (an agent using it stops being served)");
  cmd->add_option("id", revoke->id, "The token's id (from token list)")->required();
  AddOutputOption(cmd, revoke->output, "id, revoked");
  cmd->footer("Examples:\n  jobctl token revoke 3f9a1c0b7d2e\n\n" + ExitStatusHelp());
  verbs->Add(cmd, [&global, revoke] { return RunRevoke(global, *revoke); });
}

}  // namespace jobctl::cli
