#include "agent/attempt_runner.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <filesystem>

#include "agent/outputs_uploader.h"
#include "agent/paths.h"
#include "common/job_spec/job_spec_parser.h"

namespace jobctl::agent {
namespace {

std::string Join(const std::vector<int>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0) out += ",";
    out += std::to_string(v[i]);
  }
  return out;
}

Status MakeDirs(const std::string& dir) {
  // One mkdir for a directory whose parent exists (the common case, when the
  // caller creates the path top-down); create_directories stats every
  // component first.
  if (::mkdir(dir.c_str(), 0777) == 0) return Status::Ok();
  struct stat st {};
  if (errno == EEXIST && ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return Status::Ok();
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return InternalError("cannot create directory " + dir + ": " + ec.message());
  return Status::Ok();
}

}  // namespace

AttemptRunner::AttemptRunner(boost::asio::io_context& io, Runtime* runtime,
                             AttemptReporter* reporter, AttemptRunnerOptions options,
                             protocol::StartAttemptCommand command,
                             std::function<void()> on_finished)
    : io_(io),
      runtime_(runtime),
      reporter_(reporter),
      options_(std::move(options)),
      command_(std::move(command)),
      on_finished_(std::move(on_finished)),
      kill_timer_(io),
      started_timer_(io) {
  for (size_t i = 0; i < command_.ranks.size(); ++i) {
    auto r = std::make_unique<RankState>();
    r->local_rank = static_cast<int>(i);
    r->rank = command_.ranks[i];
    ranks_.push_back(std::move(r));
  }
}

AttemptRunner::~AttemptRunner() {
  *alive_ = false;
  if (tar_pid_ > 0 && !(tar_watcher_ && tar_watcher_->exited())) ::kill(tar_pid_, SIGKILL);
  for (auto& r : ranks_) {
    if (r->started && !r->exited) (void)runtime_->Signal(r->runtime_id, SIGKILL);
  }
}

protocol::RankEventRequest AttemptRunner::Event(int rank, const std::string& event) const {
  protocol::RankEventRequest e;
  e.node_id = options_.node_id;
  e.job_id = command_.job_id;
  e.attempt = command_.attempt;
  e.rank = rank;
  e.event = event;
  return e;
}

std::vector<protocol::RunningRank> AttemptRunner::Running() const {
  std::vector<protocol::RunningRank> out;
  for (const auto& r : ranks_) {
    if (r->started && !r->reported) out.push_back({command_.job_id, command_.attempt, r->rank});
  }
  return out;
}

void AttemptRunner::Start() {
  preparing_ = true;
  Prepare();
}

void AttemptRunner::Prepare() {
  const auto& wd = options_.work_dir;
  // Top-down, so that each directory costs one mkdir (jobs/ is there after
  // the first attempt).
  std::string attempt_dir = paths::AttemptDir(wd, command_.job_id, command_.attempt);
  Status s;
  if (options_.dirs != nullptr) {
    std::vector<std::string> outputs;
    for (const auto& r : ranks_) outputs.push_back(paths::RankOutputsDirName(r->rank));
    s = options_.dirs->Acquire(attempt_dir, outputs);
  } else {
    s = MakeDirs(attempt_dir);
    for (const auto& r : ranks_) {
      if (s.ok()) {
        s = MakeDirs(paths::RankOutputsDir(wd, command_.job_id, command_.attempt, r->rank));
      }
    }
  }
  // The spool directory is made by LogSpool when a rank first prints.
  struct stat st {};
  spools_new_ =
      ::stat(paths::SpoolAttemptDir(wd, command_.job_id, command_.attempt).c_str(), &st) != 0 &&
      errno == ENOENT;
  if (!s.ok()) return PrepareFailed(s.message());
  if (command_.ranks.empty()) return PrepareFailed("start_attempt lists no ranks for this node");
  if (!command_.code_archive.data.empty()) return UnpackCode();
  CheckMasterAddr();
}

void AttemptRunner::UnpackCode() {
  std::string code_dir = paths::CodeDir(options_.work_dir, command_.job_id, command_.attempt);
  Status s = MakeDirs(code_dir);
  if (!s.ok()) return PrepareFailed(s.message());
  SpawnOptions options;
  options.argv = {"/bin/sh", "-c", "exec tar -xzf - -C \"$0\"", code_dir};
  options.env = options_.base_env;
  options.pipe_stdin = true;
  options.pipe_stderr = true;
  auto child = SpawnChild(options);
  if (!child.ok()) return PrepareFailed("cannot run tar: " + child.status().message());
  tar_pid_ = child->pid;
  tar_stderr_ = std::make_unique<LogReader>(
      io_, child->stderr_fd,
      [this](const std::vector<std::string_view>& lines) {
        for (auto l : lines) {
          if (tar_errors_.size() < 4096) tar_errors_.append(l).append("\n");
        }
      },
      nullptr);
  tar_stdin_ = std::make_unique<boost::asio::posix::stream_descriptor>(io_, child->stdin_fd);
  boost::asio::async_write(*tar_stdin_, boost::asio::buffer(command_.code_archive.data),
                           [this, alive = alive_](const boost::system::error_code&, size_t) {
                             // Errors (tar quit early) show in its exit status.
                             if (!*alive) return;
                             tar_stdin_->close();
                           });
  tar_watcher_ = std::make_unique<ExitWatcher>(io_, tar_pid_, [this](ExitInfo info) {
    // Posted so the watcher is not destroyed from inside its own callback,
    // and so tar's last stderr lines are read first.
    boost::asio::post(io_, [this, alive = alive_, info] {
      if (*alive) OnCodeUnpacked(info);
    });
  });
}

void AttemptRunner::OnCodeUnpacked(ExitInfo info) {
  if (stopping_) return PrepareFailed("stopped while unpacking the code");
  if (!info.Succeeded()) {
    std::string why = tar_errors_;
    while (!why.empty() && why.back() == '\n') why.pop_back();
    for (char& ch : why) {
      if (ch == '\n') ch = ';';
    }
    if (!why.empty()) why = ": " + why;
    return PrepareFailed("unpacking the code archive failed (tar exit code " +
                         std::to_string(info.exit_code) + ")" + why);
  }
  CheckMasterAddr();
}

void AttemptRunner::CheckMasterAddr() {
  bool has_rank0 = false;
  for (int r : command_.ranks) has_rank0 |= (r == 0);
  if (has_rank0 || command_.master_addr.empty()) return PrepareImage();
  resolver_ = std::make_unique<boost::asio::ip::tcp::resolver>(io_);
  // Asio resolves on its own thread and completes here.
  resolver_->async_resolve(
      command_.master_addr, std::to_string(command_.master_port),
      [this, alive = alive_](const boost::system::error_code& ec,
                             const boost::asio::ip::tcp::resolver::results_type&) {
        if (!*alive) return;
        if (ec) {
          return PrepareFailed("MASTER_ADDR '" + command_.master_addr +
                               "' does not resolve on node " + options_.node_id + ": " +
                               ec.message());
        }
        PrepareImage();
      });
}

void AttemptRunner::PrepareImage() {
  if (stopping_) return PrepareFailed("stopped before the ranks started");
  if (!command_.spec.environment || command_.spec.environment->image.empty()) {
    return StartRanks();
  }
  ImageRequest request;
  request.image = command_.spec.environment->image;
  request.pull_policy = command_.spec.environment->pull_policy;
  RankState* first = ranks_.front().get();
  Status s = OpenLog(*first);
  if (!s.ok()) return PrepareFailed(s.message());
  pulling_ = true;
  runtime_->PrepareImage(
      request,
      [this, first, alive = alive_](std::string_view line) {
        if (*alive && pulling_) AppendAgentLine(*first, line);
      },
      [this, alive = alive_](const Status& status) {
        if (!*alive || !pulling_) return;
        pulling_ = false;
        if (!status.ok()) return PrepareFailed(status.message());
        StartRanks();
      });
}

Status AttemptRunner::OpenLog(RankState& r) {
  if (r.spool) return Status::Ok();
  const auto& wd = options_.work_dir;
  std::string log_file = paths::SpoolLogFile(wd, command_.job_id, command_.attempt, r.rank);
  std::string ack_file = paths::SpoolAckFile(wd, command_.job_id, command_.attempt, r.rank);
  if (spools_new_) {
    r.spool = LogSpool::OpenNew(std::move(log_file), std::move(ack_file));
  } else {
    JOBCTL_ASSIGN_OR_RETURN(r.spool, LogSpool::Open(std::move(log_file), std::move(ack_file)));
  }
  int rank = r.rank;
  r.shipper = std::make_unique<LogShipper>(
      io_, r.spool.get(),
      [this, rank](uint64_t first_seq, std::string lines,
                   std::function<void(Result<uint64_t>)> on_reply) {
        protocol::LogBatchRequest b;
        b.node_id = options_.node_id;
        b.job_id = command_.job_id;
        b.attempt = command_.attempt;
        b.rank = rank;
        b.first_seq = first_seq;
        b.lines.data = std::move(lines);
        reporter_->SendLogBatch(std::move(b), std::move(on_reply));
      },
      options_.shipper);
  return Status::Ok();
}

void AttemptRunner::AppendAgentLine(RankState& r, std::string_view line) {
  if (!r.spool) return;
  std::string text = "[jobagent] ";
  text.append(line);
  Status s = r.spool->Append({std::string_view(text)});
  if (!s.ok()) spdlog::error("log spool: {}", s.ToString());
  r.shipper->Pump();
}

std::vector<std::string> AttemptRunner::RankEnvironment(int local_rank,
                                                        const std::string& outputs_dir) const {
  std::map<std::string, std::string> env;
  for (const auto& kv : options_.base_env) {
    size_t eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : command_.spec.environment_variables) env[k] = v;
  int rank = command_.ranks[static_cast<size_t>(local_rank)];
  env["RANK"] = std::to_string(rank);
  env["WORLD_SIZE"] = std::to_string(command_.world_size);
  env["LOCAL_RANK"] = std::to_string(local_rank);
  env["LOCAL_WORLD_SIZE"] = std::to_string(command_.local_world_size);
  env["NODE_RANK"] = std::to_string(command_.node_rank);
  env["GROUP_RANK"] = std::to_string(command_.node_rank);
  env["ROLE_RANK"] = std::to_string(rank);
  env["ROLE_WORLD_SIZE"] = std::to_string(command_.world_size);
  env["MASTER_ADDR"] = command_.master_addr;
  env["MASTER_PORT"] = std::to_string(command_.master_port);
  env["TORCHELASTIC_RUN_ID"] = command_.job_id;
  if (static_cast<size_t>(local_rank) < command_.gpus.size() &&
      !command_.gpus[static_cast<size_t>(local_rank)].empty()) {
    env["CUDA_VISIBLE_DEVICES"] = Join(command_.gpus[static_cast<size_t>(local_rank)]);
  }
  env["JOBCTL_JOB_ID"] = command_.job_id;
  env["JOBCTL_ATTEMPT"] = std::to_string(command_.attempt);
  env["JOBCTL_OUTPUTS_DIR"] = outputs_dir;
  env["JOBCTL_NODE_ID"] = options_.node_id;
  env["JOBCTL_METRICS"] =
      MetricsFifoPath(options_.work_dir, command_.job_id, command_.attempt, rank);
  env["PYTHONUNBUFFERED"] = "1";
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

void AttemptRunner::StartRanks() {
  preparing_ = false;
  if (stopping_) return PrepareFailed("stopped before the ranks started");
  for (auto& r : ranks_) {
    Status s = StartRank(*r);
    if (!s.ok()) {
      spdlog::error("job {} attempt {} rank {}: {}", command_.job_id, command_.attempt, r->rank,
                    s.ToString());
      // Report it as an exit so the controller fails the attempt; stop the rest.
      r->started = true;
      r->started_sent = true;  // it never ran: no `started`
      r->exited = true;
      r->exit_sent = true;
      r->exit.exit_code = 127;
      auto e = Event(r->rank, "exited");
      e.exit_code = 127;
      e.message = "rank could not start: " + s.message();
      FlushStarted();  // the ranks started before it
      RankState* rp = r.get();
      reporter_->ReportRankEvent(std::move(e), [this, rp, alive = alive_] {
        if (!*alive) return;
        rp->reported = true;
        CheckFinished();
      });
      Stop(options_.default_grace, "a rank could not start");
      return;
    }
  }
}

Status AttemptRunner::StartRank(RankState& r) {
  const auto& wd = options_.work_dir;
  std::string outputs = paths::RankOutputsDir(wd, command_.job_id, command_.attempt, r.rank);
  JOBCTL_RETURN_IF_ERROR(OpenLog(r));

  {
    RankState* rp = &r;
    auto metrics = RankMetrics::Open(io_, reporter_,
                                     {wd, options_.node_id, command_.job_id, command_.attempt,
                                      r.rank, options_.shipper, spools_new_, options_.fifos},
                                     [rp](const std::string& line) {
                                       Status s = rp->spool->Append({line});
                                       if (!s.ok()) spdlog::error("log spool: {}", s.ToString());
                                       rp->shipper->Pump();
                                     });
    if (metrics.ok()) {
      r.metrics = std::move(*metrics);
    } else {
      spdlog::warn("job {} rank {}: no metrics channel: {}", command_.job_id, r.rank,
                   metrics.status().ToString());
    }
  }

  RankLaunch launch;
  launch.command = SubstituteOutputs(command_.spec, outputs);
  launch.cwd = command_.code_archive.data.empty()
                   ? paths::AttemptDir(wd, command_.job_id, command_.attempt)
                   : paths::CodeDir(wd, command_.job_id, command_.attempt);
  launch.env = RankEnvironment(r.local_rank, outputs);
  if (command_.spec.environment) launch.image = command_.spec.environment->image;
  if (static_cast<size_t>(r.local_rank) < command_.gpus.size()) {
    launch.gpus = command_.gpus[static_cast<size_t>(r.local_rank)];
  }
  launch.mounts = {paths::AttemptDir(wd, command_.job_id, command_.attempt)};
  for (const auto& [name, input] : command_.spec.inputs) {
    std::error_code ec;
    bool is_uri = input.type == "uri_file" || input.type == "uri_folder";
    if (is_uri && !input.path.empty() && input.path[0] == '/' &&
        std::filesystem::exists(input.path, ec)) {
      launch.read_only_mounts.push_back(input.path);
    }
  }
  launch.job_id = command_.job_id;
  launch.attempt = command_.attempt;
  launch.rank = r.rank;
  RankState* rp = &r;
  JOBCTL_ASSIGN_OR_RETURN(StartedRank started,
                          runtime_->Start(launch, [this, rp, alive = alive_](ExitInfo info) {
                            if (*alive) OnRankExit(*rp, info);
                          }));
  r.runtime_id = started.id;
  r.started = true;
  r.open_streams = 2;
  auto sink = [rp](const std::vector<std::string_view>& lines) {
    Status s = rp->spool->Append(lines);
    if (!s.ok()) spdlog::error("log spool: {}", s.ToString());
    rp->shipper->Pump();
  };
  auto on_eof = [this, rp] {
    --rp->open_streams;
    MaybeFinishRank(*rp);
  };
  r.out = std::make_unique<LogReader>(io_, started.stdout_fd, sink, on_eof);
  r.err = std::make_unique<LogReader>(io_, started.stderr_fd, sink, on_eof);
  // Reported later, or with the first exit when a rank ends sooner.
  if (!started_timer_armed_) {
    started_timer_armed_ = true;
    started_timer_.expires_after(options_.started_report_delay);
    started_timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
      if (ec || !*alive) return;
      started_timer_armed_ = false;
      FlushStarted();
    });
  }
  return Status::Ok();
}

void AttemptRunner::FlushStarted() {
  for (auto& r : ranks_) {
    if (!r->started || r->started_sent) continue;
    r->started_sent = true;
    reporter_->ReportRankEvent(Event(r->rank, "started"), [] {});
  }
}

void AttemptRunner::OnRankExit(RankState& r, ExitInfo info) {
  r.exited = true;
  r.exit = info;
  r.stopped_by_us = stopping_;
  if (!info.Succeeded() && !stopping_) {
    spdlog::info("job {} attempt {}: rank {} failed (exit code {}, signal {}): stopping the others",
                 command_.job_id, command_.attempt, r.rank, info.exit_code, info.signal);
    Stop(options_.default_grace, "rank " + std::to_string(r.rank) + " failed");
  }
  MaybeFinishRank(r);
}

void AttemptRunner::MaybeFinishRank(RankState& r) {
  if (!r.exited || r.open_streams > 0) return;
  RankState* rp = &r;
  // Every metric point and line first, then the exit.
  std::function<void()> close_log = [this, rp, alive = alive_] {
    if (*alive) CloseLogThenReportExit(*rp);
  };
  if (r.metrics) return r.metrics->Close(close_log);
  close_log();
}

void AttemptRunner::CloseLogThenReportExit(RankState& r) {
  RankState* rp = &r;
  r.shipper->Close([this, rp, alive = alive_] {
    if (!*alive) return;
    auto e = Event(rp->rank, "exited");
    e.exit_code = rp->exit.exit_code;
    e.signal = rp->exit.signal;
    e.stopped = rp->stopped_by_us;
    FlushStarted();  // every `started` goes before the first exit
    rp->exit_sent = true;
    reporter_->ReportRankEvent(std::move(e), [this, rp, alive] {
      if (!*alive) return;
      rp->reported = true;
      rp->spool->Remove();
      if (rp->metrics) rp->metrics->Remove();
      CheckFinished();
    });
    bool last = std::all_of(ranks_.begin(), ranks_.end(),
                            [](const auto& r) { return r->started && r->exit_sent; });
    if (last) ReportOutputsIfEmpty();
  });
}

void AttemptRunner::ReportOutputsIfEmpty() {
  if (prepare_failed_ || outputs_reported_) return;
  OutputsUploadJob job{options_.work_dir,  options_.node_id,   command_.job_id, command_.attempt,
                       command_.node_rank, command_.num_nodes, command_.ranks};
  if (!OutputsSurelyEmpty(job)) return;
  outputs_reported_ = reporter_->ReportEmptyOutputs(
      {command_.job_id, command_.attempt, command_.node_rank, command_.num_nodes});
}

void AttemptRunner::PrepareFailed(const std::string& message) {
  if (prepare_failed_) return;
  prepare_failed_ = true;
  preparing_ = false;
  pulling_ = false;
  spdlog::error("job {} attempt {}: prepare failed: {}", command_.job_id, command_.attempt,
                message);
  RankState* first = ranks_.empty() ? nullptr : ranks_.front().get();
  if (first == nullptr || !first->shipper) return ReportPrepareFailed(message);
  // The reason goes to the job's log too, shipped before the event.
  AppendAgentLine(*first, "prepare failed: " + message);
  first->shipper->Close([this, first, message, alive = alive_] {
    if (!*alive) return;
    first->spool->Remove();
    ReportPrepareFailed(message);
  });
}

void AttemptRunner::ReportPrepareFailed(const std::string& message) {
  auto e = Event(-1, "prepare_failed");
  e.exit_code = 1;
  e.message = message;
  reporter_->ReportRankEvent(std::move(e), [this, alive = alive_] {
    if (!*alive) return;
    finished_ = true;
    boost::asio::post(io_, on_finished_);
  });
}

void AttemptRunner::SignalAll(int signal) {
  for (auto& r : ranks_) {
    if (r->started && !r->exited) {
      Status s = runtime_->Signal(r->runtime_id, signal);
      if (!s.ok()) spdlog::warn("signal rank {}: {}", r->rank, s.ToString());
    }
  }
}

void AttemptRunner::Stop(std::chrono::milliseconds grace, const std::string& reason) {
  if (stopping_) return;
  stopping_ = true;
  spdlog::info("job {} attempt {}: stopping ({}), grace {} ms", command_.job_id, command_.attempt,
               reason, grace.count());
  if (preparing_ && tar_pid_ > 0 && !(tar_watcher_ && tar_watcher_->exited())) {
    ::kill(tar_pid_, SIGKILL);
  }
  if (pulling_) return PrepareFailed("stopped while preparing the image");
  SignalAll(SIGTERM);
  kill_timer_.expires_after(grace);
  kill_timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (ec || !*alive) return;
    SignalAll(SIGKILL);
  });
  CheckFinished();
}

void AttemptRunner::CheckFinished() {
  if (finished_ || preparing_) return;
  bool any_started = false;
  for (const auto& r : ranks_) {
    if (r->started && !r->reported) return;
    any_started |= r->started;
  }
  if (!any_started) return;  // nothing ran yet: StartRanks or PrepareFailed decides
  finished_ = true;
  kill_timer_.cancel();
  started_timer_.cancel();
  boost::asio::post(io_, on_finished_);
}

}  // namespace jobctl::agent
