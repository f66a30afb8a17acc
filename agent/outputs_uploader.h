// OutputsUploader: after this node's part of an attempt has ended (any end),
// sends its ranks' outputs folders to the controller's artifact store.
//
//   1. scan (worker thread): walk each local rank's outputs folder
//      (paths.h), hash every regular file with SHA-256 (streamed, 1 MiB at
//      a time). Global rank 0's files go at the top of the job's outputs,
//      rank N's under "rank-N/" (only when it wrote anything). Symbolic links
//      and special files are skipped.
//   2. outputs_missing: the controller says which blobs it lacks, and how
//      many bytes of each it already holds (resume). Skipped when the scan
//      found no file: there is nothing to ask about.
//   3. blob_chunk: the missing blobs stream in chunks of `chunk_bytes`, at
//      most `max_in_flight` chunks outstanding; each chunk is read from disk
//      on the worker thread, so the agent's loop never blocks on the disk
//      and log batches interleave with chunks on the same connection.
//   4. outputs_commit: the manifest (path, size, sha256, mode). An empty
//      manifest goes through SendEmptyManifestWith's sender instead, when
//      one is given (the agent's EventSender: it rides with rank events and
//      is retried until acknowledged).
// A request that fails with a retryable error (the controller is down or
// restarting) starts over at step 2 after `retry_delay` (doubling up to
// 5 s), so blobs already stored are not sent again; a chunk reply whose
// next_offset differs from what was sent (the controller lost a partial
// blob) does the same. A non-retryable error (a file changed while it was
// sent, so its digest no longer matches; the job is unknown) ends the upload
// with outputs_commit{error}, so the job's outputs show "failed: ...".
// `on_done` runs (posted) when the controller has acknowledged the commit,
// or after `give_up_after` without success; stored() then says whether the
// manifest went in without an error.
//
// Thread-safety: belongs to the thread running its io_context; the worker
// (a strand on a small thread pool shared by every uploader of the process,
// so an upload costs no thread of its own) only reads files and posts
// results back, never after the uploader is destroyed.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "agent/controller_link.h"
#include "common/protocol/event_messages.h"
#include "common/protocol/messages.h"

namespace jobctl::agent {

struct OutputsUploaderOptions {
  int64_t chunk_bytes = 1 << 20;
  int max_in_flight = 4;
  std::chrono::milliseconds request_timeout{10000};
  std::chrono::milliseconds retry_delay{200};
  std::chrono::milliseconds give_up_after{std::chrono::hours(1)};
};

// What to upload: one node's part of one attempt.
struct OutputsUploadJob {
  std::string work_dir;
  std::string node_id;
  std::string job_id;
  int attempt = 0;
  int node_rank = 0;
  int num_nodes = 1;
  std::vector<int> ranks;  // global ranks that ran here
};

// Walks the outputs folders of `job` and hashes every file (blocking; the
// uploader runs it on its worker thread). Exposed for tests. `local_paths`
// gets the file each entry was read from.
Result<std::vector<protocol::OutputFile>> ScanOutputs(const OutputsUploadJob& job,
                                                      std::vector<std::string>* local_paths);

// True when no rank of `job` has anything in its outputs folder (or has no
// folder): ScanOutputs would find no file. One directory read per rank, on
// the calling thread; false when in doubt (any entry, an error), so that
// the scan decides.
bool OutputsSurelyEmpty(const OutputsUploadJob& job);

class OutputsUploader {
 public:
  // `link` must outlive the uploader.
  OutputsUploader(boost::asio::io_context& io, ControllerLink* link, OutputsUploadJob job,
                  OutputsUploaderOptions options, std::function<void()> on_done);
  ~OutputsUploader();
  OutputsUploader(const OutputsUploader&) = delete;
  OutputsUploader& operator=(const OutputsUploader&) = delete;

  void Start();
  bool done() const { return done_; }
  // True once the controller acknowledged the manifest without an error
  // (every file uploaded, or an empty manifest): the outputs folders are no
  // longer needed here.
  bool stored() const { return stored_; }

  // Sends the manifest of an attempt that wrote no file through `send`
  // instead of an outputs_commit: `send` calls its callback once, with OK
  // when the controller stored it or the refusal. Call before Start().
  using EmptyManifestSender =
      std::function<void(protocol::EmptyOutputs, std::function<void(const Status&)>)>;
  void SendEmptyManifestWith(EmptyManifestSender send) { send_empty_ = std::move(send); }

 private:
  struct Want {
    size_t file = 0;  // index into files_
    int64_t offset = 0;
  };

  void OnScanned(Result<std::vector<protocol::OutputFile>> files, std::vector<std::string> local);
  void AskMissing();
  void Pump();
  void SendChunk(uint64_t generation, size_t want, int64_t offset, Result<std::string> data);
  void OnChunkReply(uint64_t generation, size_t want, int64_t end,
                    Result<protocol::Envelope> reply);
  void Commit(const std::string& error);
  // A retryable failure: start over from outputs_missing after a pause.
  void Retry(const Status& why);
  void Fail(const std::string& error);
  void Finish();

  boost::asio::io_context& io_;
  ControllerLink* link_;
  OutputsUploadJob job_;
  OutputsUploaderOptions options_;
  std::function<void()> on_done_;
  EmptyManifestSender send_empty_;
  // Work posted here runs in order, one task at a time.
  boost::asio::strand<boost::asio::thread_pool::executor_type> worker_;
  boost::asio::steady_timer retry_timer_;
  std::chrono::steady_clock::time_point started_;
  std::chrono::milliseconds backoff_;

  std::vector<protocol::OutputFile> files_;
  std::vector<std::string> local_paths_;
  std::vector<Want> wants_;  // blobs to send, in order
  size_t next_want_ = 0;     // cursor: blob and offset of the next chunk to read
  int64_t next_offset_ = 0;
  int in_flight_ = 0;  // chunks being read or awaiting a reply
  size_t blobs_stored_ = 0;
  uint64_t generation_ = 0;  // bumped on every restart; stale replies are ignored
  std::string failure_;      // set once a non-retryable error ended the upload
  bool done_ = false;
  bool stored_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  // Worker tasks post back to io_ only while `open` (under `mu`); the
  // destructor closes it, so nothing is posted for a destroyed uploader.
  struct Gate {
    std::mutex mu;
    bool open = true;
  };
  std::shared_ptr<Gate> gate_ = std::make_shared<Gate>();
};

}  // namespace jobctl::agent
