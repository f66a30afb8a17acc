// Collects the problems found in one job spec and renders them as
// "FILE:LINE:COL: field.path: what is wrong", one per line, in file order.
//
// Thread-safety: not thread-safe; one instance per parse.
#pragma once

#include <yaml-cpp/mark.h>

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace jobctl {

class SpecDiagnostics {
 public:
  explicit SpecDiagnostics(std::string file_name) : file_name_(std::move(file_name)) {}

  // `mark` is yaml-cpp's 0-based position; a null mark prints no position.
  // An empty `path` prints no field path ("FILE:L:C: what").
  void Add(const YAML::Mark& mark, std::string_view path, std::string_view what);

  bool empty() const { return problems_.empty(); }

  // OK when no problem was added; otherwise kInvalidArgument whose message is
  // every problem, sorted by position (stable), joined with '\n'.
  Status ToStatus() const;

 private:
  struct Problem {
    int line;    // 0-based, -1 when unknown
    int column;  // 0-based, -1 when unknown
    std::string text;
  };
  std::string file_name_;
  std::vector<Problem> problems_;
};

}  // namespace jobctl
