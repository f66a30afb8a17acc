#include "cli/config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "common/atomic_file.h"

namespace jobctl::cli {

namespace fs = std::filesystem;

std::optional<std::string> ProcessEnv(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

namespace {

// A variable that is set and not empty.
std::optional<std::string> NonEmpty(const EnvReader& env, const std::string& name) {
  auto value = env(name);
  if (!value || value->empty()) return std::nullopt;
  return value;
}

}  // namespace

std::string UserConfigPath(const EnvReader& env) {
  if (auto xdg = NonEmpty(env, "XDG_CONFIG_HOME")) return *xdg + "/jobctl/config.yaml";
  if (auto home = NonEmpty(env, "HOME")) return *home + "/.config/jobctl/config.yaml";
  return "";
}

std::string DefaultDataDir(const EnvReader& env) {
  if (auto xdg = NonEmpty(env, "XDG_DATA_HOME")) return *xdg + "/jobctl";
  if (auto home = NonEmpty(env, "HOME")) return *home + "/.local/share/jobctl";
  return "";
}

Status ValidateEndpoint(const std::string& endpoint, const std::string& what) {
  if (endpoint.rfind("ipc://", 0) == 0 || endpoint.rfind("inproc://", 0) == 0) {
    return endpoint.size() > endpoint.find("://") + 3
               ? Status::Ok()
               : InvalidArgumentError(what + ": empty address in '" + endpoint + "'");
  }
  if (endpoint.rfind("tcp://", 0) != 0) {
    return InvalidArgumentError(what + ": expected tcp://HOST:PORT, got '" + endpoint + "'");
  }
  std::string rest = endpoint.substr(6);
  size_t colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == rest.size()) {
    return InvalidArgumentError(what + ": expected tcp://HOST:PORT, got '" + endpoint + "'");
  }
  std::string port = rest.substr(colon + 1);
  for (char c : port) {
    if (c < '0' || c > '9') {
      return InvalidArgumentError(what + ": port '" + port + "' in '" + endpoint +
                                  "' is not a number");
    }
  }
  if (port.size() > 5 || std::stoi(port) < 1 || std::stoi(port) > 65535) {
    return InvalidArgumentError(what + ": port " + port + " in '" + endpoint +
                                "' is out of range 1-65535");
  }
  return Status::Ok();
}

namespace {

// Reads the string value of `key` from a config file.
Result<std::optional<std::string>> ReadConfigString(const std::string& path, const std::string& key,
                                                    const std::string& expected) {
  std::error_code ec;
  if (path.empty() || !fs::exists(path, ec)) return std::optional<std::string>();
  try {
    YAML::Node root = YAML::LoadFile(path);
    if (!root || root.IsNull()) return std::optional<std::string>();
    if (!root.IsMap()) {
      return InvalidArgumentError(path + ": expected a mapping of keys (e.g. 'controller: "
                                  "tcp://HOST:PORT')");
    }
    YAML::Node value = root[key];
    if (!value || value.IsNull()) return std::optional<std::string>();
    if (!value.IsScalar()) {
      return InvalidArgumentError(path + ":" + std::to_string(value.Mark().line + 1) + ": " + key +
                                  ": expected " + expected);
    }
    return std::optional<std::string>(value.as<std::string>());
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError(path + ":" + std::to_string(e.mark.line + 1) + ":" +
                                std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
}

// Sets `values` in the config file, keeping its other keys. A file that holds
// a token is written with mode 0600, from its first byte.
Status WriteConfigValues(const std::string& path,
                         const std::map<std::string, std::string>& values) {
  if (path.empty()) return FailedPreconditionError("no config path: neither XDG_CONFIG_HOME nor HOME is set");
  YAML::Node root;
  std::error_code ec;
  try {
    if (fs::exists(path, ec)) root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError(path + ": cannot parse, not rewriting it: " + e.msg);
  }
  if (!root || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap()) return InvalidArgumentError(path + ": not a mapping, not rewriting it");
  for (const auto& [key, value] : values) root[key] = value;
  bool secret = root["token"] && !root["token"].IsNull();
  fs::create_directories(fs::path(path).parent_path(), ec);
  if (ec) return InternalError("cannot create " + fs::path(path).parent_path().string() + ": " + ec.message());
  YAML::Emitter emitter;
  emitter << root;
  std::string text = std::string(emitter.c_str()) + "\n";
  return WriteFileAtomically(path, text, secret ? 0600 : 0644);
}

}  // namespace

Result<std::optional<std::string>> ReadControllerFromConfig(const std::string& path) {
  return ReadConfigString(path, "controller", "a string tcp://HOST:PORT");
}

Result<std::optional<std::string>> ReadTokenFromConfig(const std::string& path) {
  return ReadConfigString(path, "token", "the token text (jct1_...)");
}

Status WriteControllerToConfig(const std::string& path, const std::string& endpoint) {
  return WriteConfigValues(path, {{"controller", endpoint}});
}

Status WriteLoginToConfig(const std::string& path, const std::string& endpoint,
                          const std::string& token) {
  return WriteConfigValues(path, {{"controller", endpoint}, {"token", token}});
}

Result<std::optional<ResolvedToken>> ResolveToken(const std::string& token_file_flag,
                                                  const EnvReader& env) {
  auto from_file = [](const std::string& path,
                      const std::string& source) -> Result<std::optional<ResolvedToken>> {
    auto token = auth::ReadTokenFile(path);
    if (!token.ok()) {
      std::string message = token.status().message();
      // ReadTokenFile's messages name the file already.
      if (message.find(path) == std::string::npos) message = path + ": " + message;
      return InvalidArgumentError(source + ": " + message);
    }
    return std::optional<ResolvedToken>(ResolvedToken{*token, source + " " + path});
  };
  if (!token_file_flag.empty()) return from_file(token_file_flag, "--token-file");
  if (auto text = NonEmpty(env, "JOBCTL_TOKEN")) {
    auto token = auth::ParseToken(*text);
    if (!token.ok()) return InvalidArgumentError("$JOBCTL_TOKEN: " + token.status().message());
    return std::optional<ResolvedToken>(ResolvedToken{*token, "$JOBCTL_TOKEN"});
  }
  if (auto file = NonEmpty(env, "JOBCTL_TOKEN_FILE")) return from_file(*file, "$JOBCTL_TOKEN_FILE");
  std::string path = UserConfigPath(env);
  JOBCTL_ASSIGN_OR_RETURN(auto text, ReadTokenFromConfig(path));
  if (!text || text->empty()) return std::optional<ResolvedToken>();
  auto token = auth::ParseToken(*text);
  if (!token.ok()) return InvalidArgumentError(path + ": token: " + token.status().message());
  return std::optional<ResolvedToken>(ResolvedToken{*token, path + ": token"});
}

std::string NoCredentialsMessage(const std::string& endpoint) {
  return "no credentials for " + endpoint +
         ": run `jobctl login` (or `jobctl up` for a local cluster), or pass --token-file FILE";
}

Result<ControllerAddress> ResolveControllerAddress(const std::string& flag, const EnvReader& env) {
  if (!flag.empty()) {
    JOBCTL_RETURN_IF_ERROR(ValidateEndpoint(flag, "--controller"));
    return ControllerAddress{flag, AddressSource::kFlag};
  }
  if (auto value = NonEmpty(env, "JOBCTL_CONTROLLER")) {
    JOBCTL_RETURN_IF_ERROR(ValidateEndpoint(*value, "JOBCTL_CONTROLLER"));
    return ControllerAddress{*value, AddressSource::kEnv};
  }
  std::string path = UserConfigPath(env);
  JOBCTL_ASSIGN_OR_RETURN(auto from_file, ReadControllerFromConfig(path));
  if (from_file) {
    JOBCTL_RETURN_IF_ERROR(ValidateEndpoint(*from_file, path + ": controller"));
    return ControllerAddress{*from_file, AddressSource::kConfigFile};
  }
  return ControllerAddress{kDefaultController, AddressSource::kDefault};
}

}  // namespace jobctl::cli
