// CSV data: each row is the features then an integer class label. Raw or
// gzip. A first line that does not parse as numbers is a header and is
// skipped (Iris's `150,4,setosa,versicolor,virginica`). Empty lines are
// skipped.
//
// Errors name FILE:LINE: a row with the wrong column count, a non-numeric
// feature, a label that is not a non-negative integer; a missing file.
// Thread-safety: reentrant.
#pragma once

#include <string>

#include "common/status.h"
#include "trainer/data/dataset.h"

namespace jobctl::trainer {

Result<Dataset> LoadCsv(const std::string& path);

}  // namespace jobctl::trainer
