// The `${{inputs.NAME}}` / `${{outputs.NAME}}` references of a job command.
//
// A reference is "${{", optional spaces, "inputs." or "outputs.", a name of
// letters, digits and '_' (not starting with a digit), optional spaces, "}}".
// Anything else between "${{" and "}}" is a problem, as is a "${{" without
// its "}}". Text outside references is left untouched (no shell quoting).
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jobctl {

struct CommandReference {
  enum class Kind { kInput, kOutput };
  Kind kind = Kind::kInput;
  std::string name;
  std::string text;       // as written, e.g. "${{ inputs.data }}"
  std::size_t begin = 0;  // offset of "${{" in the command
  std::size_t end = 0;    // one past "}}"
};

struct CommandTemplate {
  std::vector<CommandReference> references;  // in order of appearance
  std::vector<std::string> problems;         // e.g. `${{foo}} is not a valid reference; ...`
};

CommandTemplate ScanCommandTemplate(std::string_view command);

// True for names usable in a reference: [A-Za-z_][A-Za-z0-9_]*.
bool IsReferenceName(std::string_view name);

// Rebuilds `command`, replacing each valid reference for which `replacement`
// returns a value; other references and all other text are kept as written.
std::string ReplaceReferences(
    std::string_view command,
    const std::function<std::optional<std::string>(const CommandReference&)>& replacement);

}  // namespace jobctl
