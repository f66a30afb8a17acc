// Checked reading of job spec YAML nodes. Every reader reports what is wrong
// to a SpecDiagnostics, with the field path and the node's position, and
// returns nullopt; callers keep going so that one parse reports every problem.
//
// Thread-safety: not thread-safe; used by one parse at a time.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/job_spec/spec_diagnostics.h"

namespace jobctl {

// One value in the spec, with where to report problems about it.
struct SpecField {
  YAML::Node node;
  std::string path;     // "resources.instance_count"; empty for the document root
  YAML::Mark mark;      // the value's position, or the key's when the value is empty
  YAML::Mark key_mark;  // the key's position (the value's, for the root)
};

// Describes a node after "got": "\"two\"" (scalars, quoted, long ones cut
// short), "a mapping", "a sequence", "an empty value".
std::string DescribeValue(const YAML::Node& node);

// "a.b" from "a" and "b"; just "b" under the root.
std::string JoinPath(std::string_view parent, std::string_view key);

// A mapping whose keys were checked: scalar keys only, no duplicates, and,
// when `allowed` is not empty, only allowed keys (others are reported with a
// did-you-mean). An empty value (`key:` with nothing) reads as an empty map.
class SpecMap {
 public:
  // `elsewhere` maps keys that belong at another path to that path, for the
  // suggestion (`timeout` at the top level: did you mean "limits.timeout"?).
  static std::optional<SpecMap> Read(
      const SpecField& field, std::span<const std::string_view> allowed, SpecDiagnostics& diag,
      std::span<const std::pair<std::string_view, std::string_view>> elsewhere = {});

  const SpecField& self() const { return self_; }
  // Entries whose key passed the checks, in file order.
  const std::vector<std::pair<std::string, SpecField>>& entries() const { return entries_; }
  // Every key written, including rejected ones, in file order.
  const std::vector<std::string>& keys_written() const { return keys_written_; }

  const SpecField* Find(std::string_view key) const;
  // Like Find, but reports "PATH.KEY: required key is missing" at the map.
  const SpecField* Require(std::string_view key, SpecDiagnostics& diag) const;

 private:
  SpecField self_;
  std::vector<std::pair<std::string, SpecField>> entries_;
  std::vector<std::string> keys_written_;
};

// The scalar's text. Reports mappings, sequences and empty values
// ("expected a string, got a mapping"); with `non_empty`, also "".
std::optional<std::string> ReadString(const SpecField& field, SpecDiagnostics& diag,
                                      bool non_empty = false);

// An integer within [min, max]; `expected` names the set for the message,
// e.g. "a positive integer" -> `expected a positive integer, got "two"`.
std::optional<int64_t> ReadInteger(const SpecField& field, SpecDiagnostics& diag, int64_t min,
                                   int64_t max, std::string_view expected);

// A finite number greater than zero.
std::optional<double> ReadPositiveNumber(const SpecField& field, SpecDiagnostics& diag);

// One of `values`: `expected one of "a", "b", got "c"` with a did-you-mean.
std::optional<std::string> ReadEnum(const SpecField& field, SpecDiagnostics& diag,
                                    std::span<const std::string_view> values);

// A map of string keys to scalar values (scalars of any kind read as text).
// With `empty_value_allowed`, `key:` reads as "".
std::optional<std::map<std::string, std::string>> ReadStringMap(const SpecField& field,
                                                                SpecDiagnostics& diag,
                                                                bool empty_value_allowed);

}  // namespace jobctl
