// Sanitizer reports in the logs of the daemons a test started.
//
// Under scripts/sanitize.sh every jobctld and jobagent is built with ASan and
// UBSan. Their stderr goes to log files in the cluster's temporary folder,
// which the cluster deletes; g++'s UBSan runtime cannot be sent to a log file
// of its own when ASan is linked too. So the cluster looks for reports in the
// logs before deleting them and fails the test that started the daemon.
#pragma once

#include <string>

namespace jobctl::testing {

// The first sanitizer report in `log` (from its first line to at most 40
// lines on), or "" when there is none.
std::string FindSanitizerReport(const std::string& log);

// Adds a test failure, quoting the report, for each log file in `logs_dir`
// that holds a sanitizer report.
void ExpectNoSanitizerReportIn(const std::string& logs_dir);

}  // namespace jobctl::testing
