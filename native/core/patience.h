// How long a process waits on another's unfinished step in a host arena (a directory claim, a
// config record being written, the set-up lock) before it takes that step for stalled. Measured
// on CLOCK_MONOTONIC, never as a count of sleeps: a 50 us nanosleep oversleeps 2-3x on a busy
// host, so 40,000 of them took 5-7 s where LAYOUT.md promises 2 s.
#pragma once

#include <time.h>

#include <cstdint>

namespace breakwater::host {

// LAYOUT.md "Host arenas": a claim or a config write unfinished for this long is taken for stalled.
constexpr int64_t kStaleNs = 2'000'000'000;
// The set-up lock (flock) held this long by a live process: the open gives up, naming the file.
constexpr int64_t kSetUpNs = 5'000'000'000;

inline int64_t monotonicNs() noexcept {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return int64_t(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

inline void pause50us() noexcept {
  timespec delay{0, 50'000};
  nanosleep(&delay, nullptr);
}

// The clock and the pause of the waits; the native tests put in a clock of their own.
struct Waiting {
  int64_t (*nowNs)() noexcept = monotonicNs;
  void (*pause)() noexcept = pause50us;
};

// A wait bounded by elapsed time: its clock starts at the first look, `over()` once `limitNs`
// has passed since then; `restart()` starts it again (the awaited step changed hands).
class Patience {
 public:
  Patience(const Waiting& waiting, int64_t limitNs) noexcept : waiting_(waiting), limitNs_(limitNs) {}

  bool over() noexcept {
    const int64_t now = waiting_.nowNs();
    if (startNs_ < 0) startNs_ = now;
    return now - startNs_ >= limitNs_;
  }
  void restart() noexcept { startNs_ = -1; }
  void pause() const noexcept { waiting_.pause(); }

 private:
  const Waiting& waiting_;
  int64_t limitNs_;
  int64_t startNs_ = -1;
};

}  // namespace breakwater::host
