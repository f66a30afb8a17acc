// Data specs on the command line:
//   mnist:DIR              an IDX image/label pair found in DIR
//   idx:IMAGES,LABELS      an explicit IDX pair
//   csv:FILE               features then label per row (raw or gzip)
//
// Errors: a spec that does not parse names the option (`--data: cannot
// parse "x": ...`); file errors name the file.
// Thread-safety: reentrant.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "trainer/data/dataset.h"

namespace jobctl::trainer {

// `option` ("--data", "--val-data") prefixes parse errors.
Result<Dataset> LoadDataSpec(std::string_view spec, std::string_view option);

}  // namespace jobctl::trainer
