// Every size limit on input that crosses a process boundary, in one place.
// docs/limits.md explains each one and what the user sees when it is passed.
//
// Each limit is enforced where the input ENTERS: the CLI refuses what the
// user gave it before anything is sent, and the controller refuses the same
// thing again (a hostile client need not be the CLI). A refused request is
// answered with INVALID_ARGUMENT naming the limit ("... over the limit of
// 64 MiB (code_archive_bytes)") and counted per limit in `jobctl stats`.
//
//   limit                        value     checked by
//   ---------------------------  --------  -----------------------------------------
//   kMaxSpecFileBytes            1 MiB     CLI (spec parser: "FILE: ...", exit 2)
//   kMaxSpecEncodedBytes         4 MiB     CLI after ${{inputs}} substitution; controller
//   kMaxCodeArchiveBytes         64 MiB    CLI (archive.h: tar is killed); controller
//   kMaxLineBytes                16 KiB    agent (splits longer lines); controller
//   kMaxLogBatchBytes            4 MiB     controller (agent ships 1 MiB batches)
//   kMaxLogBatchLines            256 Ki    controller (1 MiB of empty lines)
//   kMaxMetricBatchBytes         4 MiB     controller (agent ships 1 MiB batches)
//   kMaxMetricBatchPoints        256 Ki    controller
//   kMaxMetricNameBytes          128 B     agent (metrics channel); controller (read_metrics)
//   kMaxMetricRecordBytes        152 B     controller (24 B + a 128-byte name)
//   kMaxNameBytes                256 B     names, ids, pools, hostnames, states: CLI + controller
//   kMaxPathBytes                4 KiB     file paths in specs, outputs, models
//   kMaxTextBytes                64 KiB    descriptions, messages, tag and env values
//   kMaxCommandBytes             1 MiB     the spec's command (after substitution)
//   kMaxMapEntries               1024      tags, labels, env vars, inputs, outputs
//   kMaxListItems                100,000   running ranks, gpus, job ids, blobs, files
//   kMaxReadRecords              100,000   read_logs max_records
//   kMaxRankEventsItems          4096      agent (sends at most this many); controller
//   kMaxFrameBytes               72 MiB    ZMQ_MAXMSGSIZE on every socket (both ends)
//
// kMaxFrameBytes is the largest legitimate message (a submit_job or
// start_attempt carrying the largest archive and spec) plus room for the
// envelope; a peer sending a bigger frame has its connection dropped by
// ZeroMQ before the frame is buffered. Replies stay far below it: read_logs
// and read_blob answer at most 16 MiB.
#pragma once

#include <cstddef>

namespace jobctl::protocol {

inline constexpr size_t kKiB = 1024;
inline constexpr size_t kMiB = 1024 * kKiB;

inline constexpr size_t kMaxSpecFileBytes = 1 * kMiB;
inline constexpr size_t kMaxSpecEncodedBytes = 4 * kMiB;
inline constexpr size_t kMaxCodeArchiveBytes = 64 * kMiB;

inline constexpr size_t kMaxLineBytes = 16 * kKiB;
inline constexpr size_t kMaxLogBatchBytes = 4 * kMiB;
inline constexpr size_t kMaxLogBatchLines = 256 * 1024;
inline constexpr size_t kMaxMetricBatchBytes = 4 * kMiB;
inline constexpr size_t kMaxMetricBatchPoints = 256 * 1024;
inline constexpr size_t kMaxMetricNameBytes = 128;
inline constexpr size_t kMaxMetricRecordBytes = 24 + kMaxMetricNameBytes;

inline constexpr size_t kMaxNameBytes = 256;
inline constexpr size_t kMaxPathBytes = 4 * kKiB;
inline constexpr size_t kMaxTextBytes = 64 * kKiB;
inline constexpr size_t kMaxCommandBytes = 1 * kMiB;
inline constexpr size_t kMaxMapEntries = 1024;
inline constexpr size_t kMaxListItems = 100000;
inline constexpr size_t kMaxReadRecords = 100000;
// Events plus empty output manifests in one rank_events message.
inline constexpr size_t kMaxRankEventsItems = 4096;

inline constexpr size_t kMaxEnvelopeOverheadBytes = 4 * kMiB;
inline constexpr size_t kMaxFrameBytes =
    kMaxCodeArchiveBytes + kMaxSpecEncodedBytes + kMaxEnvelopeOverheadBytes;

static_assert(kMaxFrameBytes == 72 * kMiB);
static_assert(kMaxLogBatchBytes + kMaxEnvelopeOverheadBytes < kMaxFrameBytes);
static_assert(kMaxLogBatchLines * 4 < kMaxLogBatchBytes);  // both limits can be met
static_assert(kMaxCommandBytes <= kMaxSpecEncodedBytes);
static_assert(kMaxSpecFileBytes <= kMaxSpecEncodedBytes);

}  // namespace jobctl::protocol
