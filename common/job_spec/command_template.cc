#include "common/job_spec/command_template.h"

namespace jobctl {
namespace {

constexpr std::string_view kOpen = "${{";
constexpr std::string_view kClose = "}}";

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool IsReferenceName(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!letter && !(digit && i > 0)) return false;
  }
  return true;
}

CommandTemplate ScanCommandTemplate(std::string_view command) {
  CommandTemplate result;
  std::size_t pos = 0;
  while ((pos = command.find(kOpen, pos)) != std::string_view::npos) {
    const std::size_t close = command.find(kClose, pos + kOpen.size());
    if (close == std::string_view::npos) {
      result.problems.push_back("\"${{\" at offset " + std::to_string(pos) +
                                " has no closing \"}}\"");
      break;
    }
    const std::size_t end = close + kClose.size();
    const std::string_view text = command.substr(pos, end - pos);
    const std::string_view expression =
        TrimSpaces(command.substr(pos + kOpen.size(), close - pos - kOpen.size()));
    CommandReference reference;
    reference.text = std::string(text);
    reference.begin = pos;
    reference.end = end;
    std::string_view name;
    if (expression.starts_with("inputs.")) {
      reference.kind = CommandReference::Kind::kInput;
      name = expression.substr(7);
    } else if (expression.starts_with("outputs.")) {
      reference.kind = CommandReference::Kind::kOutput;
      name = expression.substr(8);
    }
    if (!IsReferenceName(name)) {
      result.problems.push_back(std::string(text) +
                                " is not a valid reference; expected ${{inputs.NAME}} or "
                                "${{outputs.NAME}}");
    } else {
      reference.name = std::string(name);
      result.references.push_back(std::move(reference));
    }
    pos = end;
  }
  return result;
}

std::string ReplaceReferences(
    std::string_view command,
    const std::function<std::optional<std::string>(const CommandReference&)>& replacement) {
  const CommandTemplate scanned = ScanCommandTemplate(command);
  std::string out;
  out.reserve(command.size());
  std::size_t copied = 0;
  for (const CommandReference& reference : scanned.references) {
    std::optional<std::string> value = replacement(reference);
    if (!value) continue;
    out.append(command.substr(copied, reference.begin - copied));
    out.append(*value);
    copied = reference.end;
  }
  out.append(command.substr(copied));
  return out;
}

}  // namespace jobctl
