// Errors as values: Status and Result<T>.
//
// A small set of canonical codes, chosen by what the caller can do about it
// (Abseil's litmus test): retry on kUnavailable, fix the input on
// kInvalidArgument, never retry on kFailedPrecondition. Detail goes in the
// message, never in a new code. Exceptions thrown by libraries (cppzmq,
// yaml-cpp, nlohmann-json, SQLite wrappers) are caught at the edge of our code
// and turned into a Status.
//
// Thread-safety: Status and Result are values; const access from several
// threads is safe.
#pragma once

#include <cassert>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace jobctl {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // bad input from the caller: fix it, do not retry
  kNotFound,            // the named thing does not exist
  kAlreadyExists,       // the thing to create is there already
  kFailedPrecondition,  // the system is not in a state to do this
  kPermissionDenied,    // the caller may not do this
  kResourceExhausted,   // out of a resource (disk, quota, capacity)
  kUnavailable,         // transient: retrying later may succeed
  kDeadlineExceeded,    // the operation ran out of time
  kCancelled,           // the operation was cancelled
  kInternal,            // a broken invariant or an unexpected library error
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "NOT_FOUND: job 42 does not exist", or "OK".
  std::string ToString() const;

  // Returns a copy whose message is "context: message".
  Status WithContext(std::string_view context) const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgumentError(std::string m) {
  return {StatusCode::kInvalidArgument, std::move(m)};
}
inline Status NotFoundError(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status AlreadyExistsError(std::string m) {
  return {StatusCode::kAlreadyExists, std::move(m)};
}
inline Status FailedPreconditionError(std::string m) {
  return {StatusCode::kFailedPrecondition, std::move(m)};
}
inline Status PermissionDeniedError(std::string m) {
  return {StatusCode::kPermissionDenied, std::move(m)};
}
inline Status ResourceExhaustedError(std::string m) {
  return {StatusCode::kResourceExhausted, std::move(m)};
}
inline Status UnavailableError(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status DeadlineExceededError(std::string m) {
  return {StatusCode::kDeadlineExceeded, std::move(m)};
}
inline Status CancelledError(std::string m) { return {StatusCode::kCancelled, std::move(m)}; }
inline Status InternalError(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

// Result<T> holds either a T or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : data_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    if (std::get<Status>(data_).ok()) {
      data_ = Status(StatusCode::kInternal, "Result constructed from an OK status");
    }
  }

  bool ok() const { return std::holds_alternative<T>(data_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(data_);
  }

  // Precondition: ok().
  T& value() & { return CheckedValue(); }
  const T& value() const& { return const_cast<Result*>(this)->CheckedValue(); }
  T&& value() && { return std::move(CheckedValue()); }
  T* operator->() { return &CheckedValue(); }
  const T* operator->() const { return &const_cast<Result*>(this)->CheckedValue(); }
  T& operator*() & { return CheckedValue(); }
  const T& operator*() const& { return const_cast<Result*>(this)->CheckedValue(); }

  T value_or(T fallback) const { return ok() ? std::get<T>(data_) : std::move(fallback); }

 private:
  T& CheckedValue() {
    if (!ok()) {
      // A broken invariant: the caller did not check ok().
      std::abort();
    }
    return std::get<T>(data_);
  }
  std::variant<T, Status> data_;
};

}  // namespace jobctl

// Returns from the calling function when `expr` (a Status) is not OK.
#define JOBCTL_RETURN_IF_ERROR(expr)              \
  do {                                            \
    ::jobctl::Status jobctl_status_ = (expr);     \
    if (!jobctl_status_.ok()) return jobctl_status_; \
  } while (0)

#define JOBCTL_CONCAT_INNER_(a, b) a##b
#define JOBCTL_CONCAT_(a, b) JOBCTL_CONCAT_INNER_(a, b)

// `JOBCTL_ASSIGN_OR_RETURN(auto x, F());` declares x from a Result or returns
// its Status.
#define JOBCTL_ASSIGN_OR_RETURN(lhs, expr) \
  JOBCTL_ASSIGN_OR_RETURN_IMPL_(JOBCTL_CONCAT_(jobctl_result_, __LINE__), lhs, expr)
#define JOBCTL_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return tmp.status();                 \
  lhs = std::move(tmp).value()
