#include "common/job_spec/job_spec_io.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>

#include "common/job_spec/command_template.h"
#include "common/job_spec/quantity.h"

namespace jobctl {
namespace {

namespace fs = std::filesystem;

constexpr std::array<std::string_view, 6> kInputTypes = {"uri_file", "uri_folder", "string",
                                                         "integer",  "number",     "boolean"};
constexpr std::array<std::string_view, 2> kOutputTypes = {"uri_folder", "uri_file"};
// Azure's data access modes: accepted for compatibility and ignored, since
// jobctl always hands a rank a local path.
constexpr std::array<std::string_view, 5> kInputModes = {"ro_mount", "rw_mount", "download",
                                                         "direct", "eval_mount"};
constexpr std::array<std::string_view, 2> kOutputModes = {"rw_mount", "upload"};
constexpr std::array<std::string_view, 5> kInputKeys = {"type", "path", "value", "mode",
                                                        "description"};
constexpr std::array<std::string_view, 4> kOutputKeys = {"type", "path", "mode", "description"};

bool IsUriType(std::string_view type) { return type == "uri_file" || type == "uri_folder"; }

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::optional<std::string> NormalizedBoolean(std::string_view text) {
  const std::string lower = Lower(text);
  if (lower == "true") return "true";
  if (lower == "false") return "false";
  return std::nullopt;
}

// The type a literal reads as when none is given.
std::string InferLiteralType(const YAML::Node& node) {
  if (node.Tag() == "!") return "string";  // quoted: "3" is text
  const std::string& text = node.Scalar();
  if (ParseInteger(text)) return "integer";
  if (ParseNumber(text)) return "number";
  if (NormalizedBoolean(text)) return "boolean";
  return "string";
}

// Checks a literal of `type` and returns its canonical text.
std::optional<std::string> ReadLiteral(const SpecField& field, std::string_view type,
                                       SpecDiagnostics& diag) {
  if (!field.node.IsScalar()) {
    diag.Add(field.mark, field.path, "expected a literal value, got " + DescribeValue(field.node));
    return std::nullopt;
  }
  const std::string& text = field.node.Scalar();
  if (type == "integer" && !ParseInteger(text)) {
    diag.Add(field.mark, field.path, "expected an integer, got " + DescribeValue(field.node));
    return std::nullopt;
  }
  if (type == "number" && !ParseNumber(text)) {
    diag.Add(field.mark, field.path, "expected a number, got " + DescribeValue(field.node));
    return std::nullopt;
  }
  if (type == "boolean") {
    std::optional<std::string> value = NormalizedBoolean(text);
    if (!value) {
      diag.Add(field.mark, field.path, "expected true or false, got " + DescribeValue(field.node));
    }
    return value;
  }
  return text;
}

// A local path made absolute against `base_dir`; "file://" is accepted.
std::optional<std::string> ReadLocalPath(const SpecField& field, const fs::path& base_dir,
                                         SpecDiagnostics& diag) {
  std::optional<std::string> text = ReadString(field, diag, /*non_empty=*/true);
  if (!text) return std::nullopt;
  std::string_view path = *text;
  if (path.starts_with("file://")) {
    path.remove_prefix(7);
  } else if (path.find("://") != std::string_view::npos) {
    diag.Add(field.mark, field.path,
             "only local paths (or file://) are supported, got " + DescribeValue(field.node));
    return std::nullopt;
  }
  fs::path resolved = fs::path(path);
  if (resolved.is_relative()) resolved = base_dir / resolved;
  std::string normal = resolved.lexically_normal().string();
  while (normal.size() > 1 && normal.back() == '/') normal.pop_back();
  return normal;
}

void CheckMode(const SpecMap& map, std::span<const std::string_view> modes, SpecDiagnostics& diag) {
  if (const SpecField* mode = map.Find("mode")) (void)ReadEnum(*mode, diag, modes);
  if (const SpecField* description = map.Find("description")) (void)ReadString(*description, diag);
}

std::optional<JobInput> ParseInputMap(const SpecMap& map, const fs::path& base_dir,
                                      SpecDiagnostics& diag) {
  const SpecField* type_field = map.Find("type");
  const SpecField* path = map.Find("path");
  const SpecField* value = map.Find("value");
  CheckMode(map, kInputModes, diag);
  JobInput input;
  if (type_field != nullptr) {
    std::optional<std::string> type = ReadEnum(*type_field, diag, kInputTypes);
    if (!type) return std::nullopt;
    input.type = *type;
  } else if (path != nullptr) {
    input.type = "uri_folder";  // Azure's default
  } else if (value != nullptr && value->node.IsScalar()) {
    input.type = InferLiteralType(value->node);
  } else if (value == nullptr) {
    diag.Add(map.self().mark, map.self().path,
             "expected \"path\" (with type uri_file or uri_folder) or \"value\" (with type "
             "string, integer, number or boolean)");
    return std::nullopt;
  }
  if (IsUriType(input.type)) {
    if (value != nullptr) {
      diag.Add(value->key_mark, value->path,
               "not allowed for type " + input.type + "; use \"path\"");
      return std::nullopt;
    }
    const SpecField* required = map.Require("path", diag);
    if (required == nullptr) return std::nullopt;
    std::optional<std::string> resolved = ReadLocalPath(*required, base_dir, diag);
    if (!resolved) return std::nullopt;
    input.path = *resolved;
    return input;
  }
  if (path != nullptr) {
    diag.Add(path->key_mark, path->path, "not allowed for type " + input.type + "; use \"value\"");
    return std::nullopt;
  }
  const SpecField* required = map.Require("value", diag);
  if (required == nullptr) return std::nullopt;
  std::optional<std::string> literal = ReadLiteral(*required, input.type, diag);
  if (!literal) return std::nullopt;
  input.value = *literal;
  return input;
}

bool CheckName(const SpecField& field, std::string_view name, std::string_view what,
               SpecDiagnostics& diag) {
  if (IsReferenceName(name)) return true;
  diag.Add(field.key_mark, field.path,
           std::string(what) +
               " names may hold only letters, digits and '_' and must not start with a digit");
  return false;
}

}  // namespace

bool DeclaredNames::Contains(std::string_view name) const {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string DeclaredNames::Joined() const {
  if (names.empty()) return "(none)";
  std::string out;
  for (const std::string& name : names) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

std::map<std::string, JobInput> ParseInputs(const SpecField& field, const fs::path& base_dir,
                                            SpecDiagnostics& diag, DeclaredNames& declared) {
  std::map<std::string, JobInput> inputs;
  std::optional<SpecMap> map = SpecMap::Read(field, {}, diag);
  if (!map) return inputs;
  for (const auto& [name, entry] : map->entries()) {
    declared.names.push_back(name);
    if (!CheckName(entry, name, "input", diag)) continue;
    if (entry.node.IsScalar()) {
      JobInput input;
      input.type = InferLiteralType(entry.node);
      input.value = entry.node.Scalar();
      if (input.type == "boolean") input.value = *NormalizedBoolean(input.value);
      inputs[name] = std::move(input);
      continue;
    }
    if (!entry.node.IsMap()) {
      diag.Add(entry.mark, entry.path,
               "expected a literal value or a mapping with \"type\" and \"path\" or \"value\", "
               "got " +
                   DescribeValue(entry.node));
      continue;
    }
    std::optional<SpecMap> input_map = SpecMap::Read(entry, kInputKeys, diag);
    if (!input_map) continue;
    if (std::optional<JobInput> input = ParseInputMap(*input_map, base_dir, diag)) {
      inputs[name] = std::move(*input);
    }
  }
  return inputs;
}

std::map<std::string, JobOutput> ParseOutputs(const SpecField& field, SpecDiagnostics& diag,
                                              DeclaredNames& declared) {
  std::map<std::string, JobOutput> outputs;
  std::optional<SpecMap> map = SpecMap::Read(field, {}, diag);
  if (!map) return outputs;
  for (const auto& [name, entry] : map->entries()) {
    declared.names.push_back(name);
    if (!CheckName(entry, name, "output", diag)) continue;
    if (entry.node.IsScalar()) {
      diag.Add(entry.mark, entry.path,
               "expected a mapping with \"type\" (uri_folder or uri_file) and an optional "
               "\"path\", got " +
                   DescribeValue(entry.node));
      continue;
    }
    std::optional<SpecMap> output_map = SpecMap::Read(entry, kOutputKeys, diag);
    if (!output_map) continue;
    CheckMode(*output_map, kOutputModes, diag);
    JobOutput output;
    bool ok = true;
    if (const SpecField* type = output_map->Find("type")) {
      std::optional<std::string> value = ReadEnum(*type, diag, kOutputTypes);
      ok = value.has_value();
      if (value) output.type = *value;
    }
    if (const SpecField* path = output_map->Find("path")) {
      std::optional<std::string> value = ReadString(*path, diag, /*non_empty=*/true);
      ok = ok && value.has_value();
      if (value) output.path = *value;
    }
    if (ok) outputs[name] = std::move(output);
  }
  return outputs;
}

}  // namespace jobctl
