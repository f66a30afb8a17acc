#include "cli/config.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

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

Result<std::optional<std::string>> ReadControllerFromConfig(const std::string& path) {
  std::error_code ec;
  if (path.empty() || !fs::exists(path, ec)) return std::optional<std::string>();
  try {
    YAML::Node root = YAML::LoadFile(path);
    if (!root || root.IsNull()) return std::optional<std::string>();
    if (!root.IsMap()) {
      return InvalidArgumentError(path + ": expected a mapping of keys (e.g. 'controller: "
                                  "tcp://HOST:PORT')");
    }
    YAML::Node controller = root["controller"];
    if (!controller || controller.IsNull()) return std::optional<std::string>();
    if (!controller.IsScalar()) {
      return InvalidArgumentError(path + ": controller: expected a string tcp://HOST:PORT");
    }
    return std::optional<std::string>(controller.as<std::string>());
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError(path + ":" + std::to_string(e.mark.line + 1) + ":" +
                                std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
}

Status WriteControllerToConfig(const std::string& path, const std::string& endpoint) {
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
  root["controller"] = endpoint;
  fs::create_directories(fs::path(path).parent_path(), ec);
  if (ec) return InternalError("cannot create " + fs::path(path).parent_path().string() + ": " + ec.message());
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return InternalError("cannot write " + tmp);
    YAML::Emitter emitter;
    emitter << root;
    out << emitter.c_str() << "\n";
    if (!out.flush()) return InternalError("cannot write " + tmp);
  }
  fs::rename(tmp, path, ec);
  if (ec) return InternalError("cannot replace " + path + ": " + ec.message());
  return Status::Ok();
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
