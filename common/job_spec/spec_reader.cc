#include "common/job_spec/spec_reader.h"

#include <limits>

#include "common/job_spec/did_you_mean.h"
#include "common/job_spec/quantity.h"

namespace jobctl {
namespace {

constexpr std::size_t kMaxShownScalar = 60;

std::string Quote(std::string_view text) {
  std::string out = "\"";
  std::size_t shown = 0;
  for (char c : text) {
    if (shown == kMaxShownScalar) {
      out += "...";
      break;
    }
    if (c == '\n') {
      out += "\\n";
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else {
      out += c;
    }
    ++shown;
  }
  out += '"';
  return out;
}

std::string QuotedList(std::span<const std::string_view> values) {
  std::string out;
  for (std::string_view value : values) {
    if (!out.empty()) out += ", ";
    out += Quote(value);
  }
  return out;
}

}  // namespace

std::string DescribeValue(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return Quote(node.Scalar());
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a sequence";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return "an empty value";
}

std::string JoinPath(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  std::string out(parent);
  out += '.';
  out += key;
  return out;
}

std::optional<SpecMap> SpecMap::Read(
    const SpecField& field, std::span<const std::string_view> allowed, SpecDiagnostics& diag,
    std::span<const std::pair<std::string_view, std::string_view>> elsewhere) {
  SpecMap map;
  map.self_ = field;
  if (field.node.IsNull() || !field.node.IsDefined()) return map;
  if (!field.node.IsMap()) {
    diag.Add(field.mark, field.path, "expected a mapping, got " + DescribeValue(field.node));
    return std::nullopt;
  }
  std::map<std::string, int, std::less<>> first_line;
  for (auto it = field.node.begin(); it != field.node.end(); ++it) {
    const YAML::Node key = it->first;
    const YAML::Node value = it->second;
    if (!key.IsScalar()) {
      diag.Add(key.Mark(), field.path, "keys must be strings, got " + DescribeValue(key));
      continue;
    }
    const std::string& name = key.Scalar();
    map.keys_written_.push_back(name);
    SpecField child;
    child.node = value;
    child.path = JoinPath(field.path, name);
    child.key_mark = key.Mark();
    const bool empty_on_other_line = value.IsNull() && value.Mark().line != key.Mark().line;
    child.mark = (value.Mark().is_null() || empty_on_other_line) ? key.Mark() : value.Mark();
    if (auto [seen, inserted] = first_line.emplace(name, key.Mark().line + 1); !inserted) {
      diag.Add(key.Mark(), child.path,
               "duplicate key (first given at line " + std::to_string(seen->second) + ")");
      continue;
    }
    if (!allowed.empty()) {
      bool known = false;
      for (std::string_view candidate : allowed) known = known || candidate == name;
      if (!known) {
        std::string what = "unknown key; ";
        std::optional<std::string_view> moved;
        for (const auto& [key, path] : elsewhere) {
          if (key == name) moved = path;
        }
        if (moved) {
          what += "did you mean \"" + std::string(*moved) + "\"?";
        } else if (std::optional<std::string> suggestion = ClosestMatch(name, allowed)) {
          what += "did you mean \"" + *suggestion + "\"?";
        } else {
          what += "expected one of: ";
          for (std::size_t i = 0; i < allowed.size(); ++i) {
            what += (i == 0 ? "" : ", ") + std::string(allowed[i]);
          }
        }
        diag.Add(key.Mark(), child.path, std::move(what));
        continue;
      }
    }
    map.entries_.emplace_back(name, std::move(child));
  }
  return map;
}

const SpecField* SpecMap::Find(std::string_view key) const {
  for (const auto& [name, field] : entries_) {
    if (name == key) return &field;
  }
  return nullptr;
}

const SpecField* SpecMap::Require(std::string_view key, SpecDiagnostics& diag) const {
  const SpecField* field = Find(key);
  if (field == nullptr) {
    bool written = false;  // written but rejected (e.g. a duplicate): reported already
    for (const std::string& name : keys_written_) written = written || name == key;
    if (!written) diag.Add(self_.mark, JoinPath(self_.path, key), "required key is missing");
  }
  return field;
}

std::optional<std::string> ReadString(const SpecField& field, SpecDiagnostics& diag,
                                      bool non_empty) {
  if (!field.node.IsScalar()) {
    diag.Add(field.mark, field.path,
             std::string(non_empty ? "expected a non-empty string" : "expected a string") +
                 ", got " + DescribeValue(field.node));
    return std::nullopt;
  }
  if (non_empty && field.node.Scalar().empty()) {
    diag.Add(field.mark, field.path, "expected a non-empty string, got \"\"");
    return std::nullopt;
  }
  return field.node.Scalar();
}

std::optional<int64_t> ReadInteger(const SpecField& field, SpecDiagnostics& diag, int64_t min,
                                   int64_t max, std::string_view expected) {
  std::optional<int64_t> value;
  if (field.node.IsScalar()) value = ParseInteger(field.node.Scalar());
  if (!value || *value < min || *value > max) {
    diag.Add(field.mark, field.path,
             "expected " + std::string(expected) + ", got " + DescribeValue(field.node));
    return std::nullopt;
  }
  return value;
}

std::optional<double> ReadPositiveNumber(const SpecField& field, SpecDiagnostics& diag) {
  std::optional<double> value;
  if (field.node.IsScalar()) value = ParseNumber(field.node.Scalar());
  if (!value || *value <= 0) {
    diag.Add(field.mark, field.path,
             "expected a positive number, got " + DescribeValue(field.node));
    return std::nullopt;
  }
  return value;
}

std::optional<std::string> ReadEnum(const SpecField& field, SpecDiagnostics& diag,
                                    std::span<const std::string_view> values) {
  if (field.node.IsScalar()) {
    for (std::string_view value : values) {
      if (value == field.node.Scalar()) return std::string(value);
    }
  }
  std::string what = "expected one of " + QuotedList(values) + ", got " + DescribeValue(field.node);
  if (field.node.IsScalar()) {
    if (std::optional<std::string> suggestion = ClosestMatch(field.node.Scalar(), values)) {
      what += "; did you mean \"" + *suggestion + "\"?";
    }
  }
  diag.Add(field.mark, field.path, std::move(what));
  return std::nullopt;
}

std::optional<std::map<std::string, std::string>> ReadStringMap(const SpecField& field,
                                                                SpecDiagnostics& diag,
                                                                bool empty_value_allowed) {
  std::optional<SpecMap> map = SpecMap::Read(field, {}, diag);
  if (!map) return std::nullopt;
  std::map<std::string, std::string> out;
  bool ok = true;
  for (const auto& [key, value] : map->entries()) {
    if (value.node.IsScalar()) {
      out[key] = value.node.Scalar();
    } else if (empty_value_allowed && (value.node.IsNull() || !value.node.IsDefined())) {
      out[key] = "";
    } else {
      std::string what = "expected a string, got " + DescribeValue(value.node);
      if (value.node.IsNull()) what += " (write \"\" for an empty string)";
      diag.Add(value.mark, value.path, std::move(what));
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

}  // namespace jobctl
