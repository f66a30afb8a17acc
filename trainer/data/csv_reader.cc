#include "trainer/data/csv_reader.h"

#include <cmath>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "trainer/data/file_reader.h"

namespace jobctl::trainer {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::vector<std::string_view> SplitFields(std::string_view line) {
  std::vector<std::string_view> fields;
  while (true) {
    size_t comma = line.find(',');
    fields.push_back(Trim(line.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    line.remove_prefix(comma + 1);
  }
  return fields;
}

bool ParseNumber(std::string_view field, double* value) {
  if (field.empty()) return false;
  std::string text(field);
  char* end = nullptr;
  *value = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size() && std::isfinite(*value);
}

}  // namespace

Result<Dataset> LoadCsv(const std::string& path) {
  JOBCTL_ASSIGN_OR_RETURN(std::string text, ReadFileMaybeGzip(path));
  Dataset data;
  data.source = path;
  int columns = 0;
  bool first_line = true;
  size_t line_number = 0;
  std::string_view rest(text);
  while (!rest.empty()) {
    size_t newline = rest.find('\n');
    std::string_view line = Trim(rest.substr(0, newline));
    rest.remove_prefix(newline == std::string_view::npos ? rest.size() : newline + 1);
    ++line_number;
    if (line.empty()) continue;
    std::vector<std::string_view> fields = SplitFields(line);
    std::vector<double> values(fields.size());
    bool numeric = true;
    for (size_t i = 0; i < fields.size(); ++i) numeric = numeric && ParseNumber(fields[i], &values[i]);
    const std::string where = path + ":" + std::to_string(line_number);
    if (first_line) {
      first_line = false;
      if (!numeric) continue;  // a header
    }
    if (columns == 0) {
      columns = static_cast<int>(fields.size());
      if (columns < 2) return InvalidArgumentError(where + ": need features and a label");
      data.features = columns - 1;
    }
    if (static_cast<int>(fields.size()) != columns) {
      return InvalidArgumentError(where + ": expected " + std::to_string(columns) +
                                  " columns, got " + std::to_string(fields.size()));
    }
    for (int i = 0; i < columns - 1; ++i) {
      if (!ParseNumber(fields[static_cast<size_t>(i)], &values[static_cast<size_t>(i)])) {
        return InvalidArgumentError(where + ": column " + std::to_string(i + 1) + " \"" +
                                    std::string(fields[static_cast<size_t>(i)]) +
                                    "\" is not a number");
      }
      data.x.push_back(static_cast<float>(values[static_cast<size_t>(i)]));
    }
    double label = 0;
    std::string_view label_field = fields.back();
    if (!ParseNumber(label_field, &label) || label < 0 || label != std::floor(label) ||
        label > 1e6) {
      return InvalidArgumentError(where + ": label \"" + std::string(label_field) +
                                  "\" is not a class index (a non-negative integer)");
    }
    data.y.push_back(static_cast<int>(label));
    ++data.count;
  }
  if (data.count == 0) return InvalidArgumentError(path + ": no data rows");
  return data;
}

}  // namespace jobctl::trainer
