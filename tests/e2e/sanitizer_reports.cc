#include "tests/e2e/sanitizer_reports.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "tests/e2e/local_cluster.h"

namespace jobctl::testing {

std::string FindSanitizerReport(const std::string& log) {
  // "==123==ERROR: AddressSanitizer: ..." (LeakSanitizer alike) and UBSan's
  // "file.cc:12:5: runtime error: ...". Plain searches: a log can be large.
  size_t at = std::string::npos;
  for (const char* marker :
       {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", ": runtime error: "}) {
    at = std::min(at, log.find(marker));
  }
  if (at == std::string::npos) return "";
  size_t begin = log.rfind('\n', at);
  begin = begin == std::string::npos ? 0 : begin + 1;
  size_t end = begin;
  for (int lines = 0; lines < 40; ++lines) {
    end = log.find('\n', end);
    if (end == std::string::npos) break;
    ++end;
  }
  return log.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

void ExpectNoSanitizerReportIn(const std::string& logs_dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(logs_dir, ec)) {
    if (!entry.is_regular_file()) continue;
    std::string report = FindSanitizerReport(ReadFile(entry.path().string()));
    if (!report.empty()) {
      ADD_FAILURE() << "sanitizer report in " << entry.path().filename().string() << ":\n"
                    << report;
    }
  }
}

}  // namespace jobctl::testing
