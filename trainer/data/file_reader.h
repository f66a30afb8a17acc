// ReadFileMaybeGzip: a whole file's bytes, gunzipped when the file is gzip
// (detected from its content by zlib, not its name).
//
// Errors: kNotFound "PATH: no such file", kInvalidArgument for corrupt gzip.
// Thread-safety: reentrant.
#pragma once

#include <string>

#include "common/status.h"

namespace jobctl::trainer {

Result<std::string> ReadFileMaybeGzip(const std::string& path);

}  // namespace jobctl::trainer
