// Atomic, durable file replacement for checkpoints and models.
//
// WriteFileAtomically writes the bytes to a temporary file beside `path`
// whose name no other writer uses ("<path>.tmp.<host>.<pid>.<n>"), fsyncs it,
// renames it over `path` and fsyncs the folder. A process killed at any
// point (kill -9 mid-write) or a machine that crashes leaves `path` either as
// it was or complete with the new bytes; two writers of the same path (a
// stale rank of a lost attempt and the new attempt, on a shared filesystem)
// never mix their bytes. At worst a temporary file is left behind;
// IsTemporaryName recognises it, RemoveTemporaryFiles clears a folder of them.
//
// Errors name the file. Thread-safety: reentrant.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "common/status.h"

namespace jobctl::trainer {

struct FileChunk {
  const char* data = nullptr;
  size_t size = 0;
};

// `before_commit`, when set, runs after the bytes are on disk and before the
// rename; an error from it abandons the write (the temporary file is
// removed, `path` untouched) and is returned as is. When the rename fails,
// it runs again, and its error, if it now has one, is returned instead: what
// it guards against may have happened since, and caused the failure.
Status WriteFileAtomically(const std::string& path, const std::vector<FileChunk>& chunks,
                           const std::function<Status()>& before_commit = nullptr);

// Whether a file name (no folder) is one of WriteFileAtomically's temporaries.
bool IsTemporaryName(const std::string& name);

// Removes every temporary file in `dir`; returns how many it removed. A
// writer whose temporary file is removed fails its rename with an error.
int RemoveTemporaryFiles(const std::string& dir);

}  // namespace jobctl::trainer
