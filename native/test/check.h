// A minimal test harness: CHECK / CHECK_EQ count passes and report failures with their
// location; finish() prints "<suite>: N passed, M failed" and yields the exit status.
#pragma once

#include <atomic>
#include <cstdio>
#include <sstream>
#include <string>
#include <type_traits>

namespace breakwater::test {

struct Tally {
  std::atomic<int> passed{0};
  std::atomic<int> failed{0};
};

inline Tally& tally() {
  static Tally instance;
  return instance;
}

inline bool record(bool ok, const std::string& what, const char* file, int line) {
  if (ok) {
    ++tally().passed;
  } else {
    ++tally().failed;
    std::fprintf(stderr, "FAILED %s:%d: %s\n", file, line, what.c_str());
  }
  return ok;
}

// Enums print as their numbers, small integers as numbers rather than characters.
template <class T>
auto printable(const T& value) {
  if constexpr (std::is_enum_v<T>) {
    return +std::underlying_type_t<T>(value);
  } else if constexpr (std::is_arithmetic_v<T>) {
    return +value;
  } else {
    return value;
  }
}

template <class A, class B>
bool checkEqual(const A& actual, const B& expected, const char* text, const char* file, int line) {
  if (actual == expected) return record(true, text, file, line);
  std::ostringstream message;
  message << text << " (got " << printable(actual) << ", expected " << printable(expected) << ")";
  return record(false, message.str(), file, line);
}

inline int finish(const char* suite) {
  std::printf("%s: %d passed, %d failed\n", suite, tally().passed.load(), tally().failed.load());
  return tally().failed.load() == 0 ? 0 : 1;
}

}  // namespace breakwater::test

#define CHECK(condition) ::breakwater::test::record(bool(condition), #condition, __FILE__, __LINE__)
#define CHECK_EQ(actual, expected) \
  ::breakwater::test::checkEqual((actual), (expected), #actual " == " #expected, __FILE__, __LINE__)
