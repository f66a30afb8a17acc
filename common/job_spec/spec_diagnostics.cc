#include "common/job_spec/spec_diagnostics.h"

#include <algorithm>

namespace jobctl {

void SpecDiagnostics::Add(const YAML::Mark& mark, std::string_view path, std::string_view what) {
  std::string text = file_name_;
  const bool has_mark = !mark.is_null() && mark.line >= 0 && mark.column >= 0;
  if (has_mark) {
    text += ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
  }
  text += ": ";
  if (!path.empty()) {
    text += path;
    text += ": ";
  }
  text += what;
  problems_.push_back({has_mark ? mark.line : -1, has_mark ? mark.column : -1, std::move(text)});
}

Status SpecDiagnostics::ToStatus() const {
  if (problems_.empty()) return Status::Ok();
  std::vector<Problem> sorted = problems_;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Problem& a, const Problem& b) {
    return a.line != b.line ? a.line < b.line : a.column < b.column;
  });
  std::string message;
  for (const Problem& problem : sorted) {
    if (!message.empty()) message += '\n';
    message += problem.text;
  }
  return InvalidArgumentError(std::move(message));
}

}  // namespace jobctl
