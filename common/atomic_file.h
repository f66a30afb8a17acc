// Small whole-file helpers: atomic, durable writes with a given mode (temp
// file + fsync + rename + fsync of the folder) and reads. Used for the
// controller's keys and credentials, token files, and the CLI's config and
// state files. (Checkpoints, written in pieces by writers that may race on a
// shared filesystem, have their own: trainer/checkpoint/atomic_file.h.)
//
// Thread-safety: free functions; concurrent writers of one path must be
// serialised by the caller.
#pragma once

#include <sys/types.h>

#include <string>

#include "common/status.h"

namespace jobctl {

// Writes `text` to `path` with exactly `mode` (not subject to the umask).
Status WriteFileAtomically(const std::string& path, const std::string& text, mode_t mode);

// The whole file; NotFound when it does not exist.
Result<std::string> ReadWholeFile(const std::string& path);

// Sets `mode` on `path` when it differs; returns whether it changed.
Result<bool> EnsureMode(const std::string& path, mode_t mode);

}  // namespace jobctl
