#include "trainer/data/data_spec.h"

#include "trainer/data/csv_reader.h"
#include "trainer/data/idx_reader.h"

namespace jobctl::trainer {

Result<Dataset> LoadDataSpec(std::string_view spec, std::string_view option) {
  auto cannot_parse = [&](const std::string& why) {
    return InvalidArgumentError(std::string(option) + ": cannot parse \"" + std::string(spec) +
                                "\": " + why);
  };
  size_t colon = spec.find(':');
  if (colon == std::string_view::npos || colon + 1 == spec.size()) {
    return cannot_parse("expected mnist:DIR, idx:IMAGES,LABELS or csv:FILE");
  }
  std::string_view kind = spec.substr(0, colon);
  std::string rest(spec.substr(colon + 1));
  if (kind == "mnist") return LoadMnistDirectory(rest);
  if (kind == "csv") return LoadCsv(rest);
  if (kind == "idx") {
    size_t comma = rest.find(',');
    if (comma == std::string::npos || comma == 0 || comma + 1 == rest.size()) {
      return cannot_parse("idx needs IMAGES,LABELS");
    }
    return LoadIdx(rest.substr(0, comma), rest.substr(comma + 1));
  }
  return cannot_parse("unknown data kind \"" + std::string(kind) +
                      "\" (expected mnist, idx or csv)");
}

}  // namespace jobctl::trainer
