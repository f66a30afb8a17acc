// Small file helpers for DATA/auth: whole-file atomic writes with a given
// mode (temp file + fsync + rename + fsync of the folder) and reads.
//
// Thread-safety: free functions; concurrent writers of one path must be
// serialised by the caller.
#pragma once

#include <sys/types.h>

#include <string>

#include "common/status.h"

namespace jobctl::controller::auth {

// Writes `text` to `path` with exactly `mode` (not subject to the umask).
Status WriteFileAtomically(const std::string& path, const std::string& text, mode_t mode);

// The whole file; NotFound when it does not exist.
Result<std::string> ReadWholeFile(const std::string& path);

// Sets `mode` on `path` when it differs; returns whether it changed.
Result<bool> EnsureMode(const std::string& path, mode_t mode);

}  // namespace jobctl::controller::auth
