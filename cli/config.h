// Where `jobctl` finds the controller, and the user's config file.
//
// Precedence: --controller flag > $JOBCTL_CONTROLLER > the user's config file
// ($XDG_CONFIG_HOME/jobctl/config.yaml, or ~/.config/jobctl/config.yaml; key
// `controller:`) > kDefaultController.
//
// Credentials (docs/security.md): --token-file FILE > $JOBCTL_TOKEN
// (the token text) > $JOBCTL_TOKEN_FILE > `token:` in the same config file.
// The config file is written with mode 0600 when it holds a token.
//
// The environment is read through an EnvReader so tests can supply their own.
// Thread-safety: free functions; the file functions are not safe against
// concurrent writers of the same file.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "common/auth/token.h"
#include "common/status.h"

namespace jobctl::cli {

inline constexpr const char* kDefaultController = "tcp://127.0.0.1:7070";

// Returns the value of an environment variable, or nullopt when unset.
using EnvReader = std::function<std::optional<std::string>(const std::string&)>;

// Reads the real process environment.
std::optional<std::string> ProcessEnv(const std::string& name);

// $XDG_CONFIG_HOME/jobctl/config.yaml or $HOME/.config/jobctl/config.yaml.
// Empty when neither variable is set.
std::string UserConfigPath(const EnvReader& env);

// $XDG_DATA_HOME/jobctl or $HOME/.local/share/jobctl. Empty when neither is set.
std::string DefaultDataDir(const EnvReader& env);

// Where a resolved address came from, for messages.
enum class AddressSource { kFlag, kEnv, kConfigFile, kDefault };

struct ControllerAddress {
  std::string endpoint;
  AddressSource source = AddressSource::kDefault;
};

// Applies the precedence above. `flag` is the --controller value (empty when
// not given). A config file that exists but cannot be parsed is an error
// naming the file; a missing file is not.
Result<ControllerAddress> ResolveControllerAddress(const std::string& flag, const EnvReader& env);

// Reads `controller:` from a config file. nullopt when the file does not exist
// or has no such key.
Result<std::optional<std::string>> ReadControllerFromConfig(const std::string& path);

// Sets `controller:` in the config file, keeping its other keys; creates the
// file and its folders when missing.
Status WriteControllerToConfig(const std::string& path, const std::string& endpoint);

// Reads `token:` from a config file (the token text). nullopt when the file
// does not exist or has no such key.
Result<std::optional<std::string>> ReadTokenFromConfig(const std::string& path);

// Sets `controller:` and `token:` in the config file, keeping its other keys;
// the file is written with mode 0600 (atomically: temp file + rename).
Status WriteLoginToConfig(const std::string& path, const std::string& endpoint,
                          const std::string& token);

// Where a resolved token came from, for messages ("--token-file F",
// "$JOBCTL_TOKEN", "$JOBCTL_TOKEN_FILE F", "F: token").
struct ResolvedToken {
  auth::Token token;
  std::string source;
};

// Applies the credentials precedence above. nullopt when no source gives a
// token; an error naming the source when one is given but is unusable.
Result<std::optional<ResolvedToken>> ResolveToken(const std::string& token_file_flag,
                                                  const EnvReader& env);

// "no credentials for ENDPOINT: run `jobctl login` (or `jobctl up` for a local cluster)".
std::string NoCredentialsMessage(const std::string& endpoint);

// Checks the form tcp://HOST:PORT (or ipc://, inproc://), naming `what` in the error.
Status ValidateEndpoint(const std::string& endpoint, const std::string& what);

}  // namespace jobctl::cli
