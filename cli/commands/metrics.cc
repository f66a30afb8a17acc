// `jobctl metrics ID`, `jobctl compare ID ID...`, and the experiment view of
// `jobctl list --experiment X`.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <set>
#include <thread>

#include "cli/chart.h"
#include "cli/commands/command.h"
#include "cli/commands/experiment_list.h"
#include "cli/exit_codes.h"
#include "cli/metrics_view.h"
#include "cli/output.h"
#include "common/job_state.h"

namespace jobctl::cli {

namespace {

struct MetricsOptions {
  std::string job_id;
  bool follow = false;
  std::string name;
  std::string output = "table";
  int height = 8;
  int width = 0;
  int interval_ms = 2000;
};

struct CompareOptions {
  std::vector<std::string> job_ids;
  std::string name;
  std::string output = "table";
  int height = 12;
  int width = 0;
};

void Print(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

bool Terminal(const std::string& state) {
  auto s = ParseJobState(state);
  return s && IsTerminal(*s);
}

int RunMetrics(const GlobalOptions& global, const MetricsOptions& options) {
  return WithClient(global, [&](ControllerClient& client) {
    bool tty = ::isatty(STDOUT_FILENO) != 0;
    for (int round = 0;; ++round) {
      auto reply = client.Call<protocol::ReadMetricsReply>(
          protocol::ReadMetricsRequest{options.job_id, options.name});
      if (!reply.ok()) return ReportError(reply.status(), client.endpoint());
      bool done = !options.follow || Terminal(reply->state);
      if (options.output == "json") {
        if (done) Print(DumpJson(MetricPointsJson(options.job_id, reply->state, reply->points)));
      } else if (options.output == "csv") {
        if (done) Print(MetricPointsCsv(reply->points));
      } else {
        int width = options.width > 0 ? options.width : TerminalWidth(STDOUT_FILENO);
        std::string text =
            FormatMetricCharts(reply->points, width, options.height, ChartStyleFor(STDOUT_FILENO));
        std::string head = "job " + options.job_id + " " + reply->state + "\n\n";
        // Redraw in place on a terminal; append otherwise.
        Print((options.follow && tty ? "\x1b[H\x1b[2J" : "") + head + text);
      }
      if (done) return kExitOk;
      std::this_thread::sleep_for(std::chrono::milliseconds(options.interval_ms));
    }
  });
}

int RunCompare(const GlobalOptions& global, const CompareOptions& options) {
  return WithClient(global, [&](ControllerClient& client) {
    std::vector<protocol::ReadMetricsReply> replies;
    for (const auto& id : options.job_ids) {
      auto reply = client.Call<protocol::ReadMetricsReply>(protocol::ReadMetricsRequest{id, ""});
      if (!reply.ok()) return ReportError(reply.status(), client.endpoint());
      replies.push_back(std::move(*reply));
    }
    std::string name = options.name;
    if (name.empty()) {
      // The first name (alphabetically) every job reported.
      std::set<std::string> common;
      for (size_t i = 0; i < replies.size(); ++i) {
        std::set<std::string> names;
        for (const auto& p : replies[i].points) names.insert(p.name);
        if (i == 0) {
          common = names;
        } else {
          std::set<std::string> both;
          for (const auto& n : names) {
            if (common.count(n)) both.insert(n);
          }
          common = both;
        }
      }
      if (common.empty()) {
        std::fprintf(stderr,
                     "jobctl: compare: the jobs have no metric name in common; pick one "
                     "with --name\n");
        return kExitUsage;
      }
      name = *common.begin();
    }
    if (options.output == "json") {
      nlohmann::json jobs = nlohmann::json::array();
      for (size_t i = 0; i < replies.size(); ++i) {
        std::vector<protocol::MetricPointInfo> named;
        for (const auto& p : replies[i].points) {
          if (p.name == name) named.push_back(p);
        }
        jobs.push_back(MetricPointsJson(options.job_ids[i], replies[i].state, named));
      }
      Print(DumpJson({{"name", name}, {"jobs", std::move(jobs)}}));
      return kExitOk;
    }
    std::vector<ChartSeries> series;
    for (size_t i = 0; i < replies.size(); ++i) {
      series.push_back(JobSeries("job " + options.job_ids[i], replies[i].points, name));
    }
    int width = options.width > 0 ? options.width : TerminalWidth(STDOUT_FILENO);
    Print(name + "\n" + RenderChart(series, width, options.height, ChartStyleFor(STDOUT_FILENO)));
    return kExitOk;
  });
}

}  // namespace

int RunExperimentList(ControllerClient& client, const std::vector<protocol::JobSummary>& jobs,
                      const std::string& output) {
  protocol::MetricSummaryRequest request;
  for (const auto& j : jobs) request.job_ids.push_back(j.id);
  auto reply = client.Call<protocol::MetricSummaryReply>(request);
  if (!reply.ok()) return ReportError(reply.status(), client.endpoint());
  Print(output == "json" ? DumpJson(ExperimentJson(jobs, reply->jobs))
                         : FormatExperimentTable(jobs, reply->jobs));
  return kExitOk;
}

void RegisterMetrics(CLI::App& app, GlobalOptions& global, CommandTable& table) {
  auto options = std::make_shared<MetricsOptions>();
  CLI::App* cmd = app.add_subcommand(
      "metrics", "Show a job's metrics: the last value and a chart over steps per metric");
  cmd->add_option("id", options->job_id, "The job id")->required();
  cmd->add_flag("-f,--follow", options->follow,
                "Redraw every --interval-ms while the job runs; stop once it has ended");
  cmd->add_option("--name", options->name, "Only this metric");
  cmd->add_option("-o,--output", options->output,
                  "table (charts), json (every point: name, attempt, rank, step, value, time_ms, "
                  "time) or csv (name,attempt,rank,step,value,time_ms)")
      ->check(CLI::IsMember({"table", "json", "csv"}))
      ->capture_default_str();
  cmd->add_option("--height", options->height, "Chart rows per metric")
      ->check(CLI::Range(2, 200))
      ->capture_default_str();
  cmd->add_option("--width", options->width, "Chart width in columns (default: the terminal's)")
      ->check(CLI::Range(20, 1000));
  cmd->add_option("--interval-ms", options->interval_ms, "With -f: time between redraws")
      ->check(CLI::Range(100, 600000))
      ->capture_default_str();
  cmd->footer(
      "Ranks report metrics by writing 'NAME VALUE [STEP]' lines to the file named by "
      "$JOBCTL_METRICS (see docs/tracking.md), e.g.\n"
      "  echo \"loss 0.25 10\" > \"$JOBCTL_METRICS\"\n"
      "Charts use Unicode braille and colours on a terminal, plain ASCII when NO_COLOR is set "
      "or stdout is not a terminal. One series per rank of the latest attempt.\n\n"
      "Examples:\n  jobctl metrics 12\n  jobctl metrics 12 -f --name val_loss\n"
      "  jobctl metrics 12 -o csv > metrics.csv\n\n" +
      ExitStatusHelp());
  table.Add(cmd, [&global, options] { return RunMetrics(global, *options); });

  auto compare = std::make_shared<CompareOptions>();
  cmd = app.add_subcommand("compare",
                           "Overlay one metric of several jobs in one chart (a series per job)");
  cmd->add_option("ids", compare->job_ids, "Two or more job ids")->required()->expected(2, -1);
  cmd->add_option("--name", compare->name,
                  "The metric to compare (default: the first name, alphabetically, that every "
                  "job reported)");
  cmd->add_option("-o,--output", compare->output,
                  "table (chart), or json: {name, jobs: [{job_id, state, points}]}")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  cmd->add_option("--height", compare->height, "Chart rows")
      ->check(CLI::Range(2, 200))
      ->capture_default_str();
  cmd->add_option("--width", compare->width, "Chart width in columns (default: the terminal's)")
      ->check(CLI::Range(20, 1000));
  cmd->footer(
      "Each job contributes the points of its latest attempt's lowest rank.\n\n"
      "Examples:\n  jobctl compare 12 13 14 --name val_loss\n"
      "  jobctl list --experiment mnist   (final metrics side by side)\n\n" +
      ExitStatusHelp());
  table.Add(cmd, [&global, compare] { return RunCompare(global, *compare); });
}

}  // namespace jobctl::cli
