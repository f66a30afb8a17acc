// Exit statuses of `jobctl`, shared by every command (documented in --help).
#pragma once

namespace jobctl::cli {

inline constexpr int kExitOk = 0;
// The job ended FAILED, CANCELLED or TIMED_OUT (submit --follow), or an
// unexpected error (the message says which).
inline constexpr int kExitFailed = 1;
// Bad usage, a bad spec file, or a job/node that does not exist.
inline constexpr int kExitUsage = 2;
// The controller could not be reached.
inline constexpr int kExitUnreachable = 3;
// Permission denied: the controller refused these credentials (a revoked
// token, or one made for another controller), or they may not make this
// request (e.g. `jobctl token` without an admin token).
inline constexpr int kExitDenied = 4;

}  // namespace jobctl::cli
