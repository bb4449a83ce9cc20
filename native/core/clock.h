// Time as the arena sees it: microseconds from CLOCK_MONOTONIC or from the arena's manual
// clock, reduced to 32-bit milliseconds for deadlines compared in serial-number arithmetic.
#pragma once

#include <cstdint>
#include <ctime>

#include "atomic_ref.h"
#include "layout.h"

namespace breakwater {

// Every period (recovery, half-open timeout, restored remainder) stays below 2^30 ms so that
// serial comparison of deadlines is unambiguous.
constexpr uint32_t kMaxPeriodMs = (1u << 30) - 1;

inline int64_t monotonicNowUs() noexcept {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

// floor(us / 1000), flooring towards -infinity for a manual clock set below zero.
constexpr int64_t floorMs(int64_t us) {
  int64_t ms = us / 1000;
  if (us % 1000 < 0) --ms;
  return ms;
}

constexpr uint32_t toMs32(int64_t us) { return uint32_t(uint64_t(floorMs(us))); }

// The era word of a clock page: floor(ms / 2^kEraShift) as int32. JavaScript trusts a serial
// deadline comparison only within a few eras of the core having confirmed it.
constexpr int32_t toEra(int64_t us) {
  return int32_t(uint32_t(uint64_t(floorMs(us) >> layout::kEraShift)));  // arithmetic shift: floor
}

constexpr bool reached(uint32_t now32, uint32_t deadline) {
  return int32_t(now32 - deadline) >= 0;
}

class ArenaClock {
 public:
  // A null manual clock means CLOCK_MONOTONIC.
  explicit ArenaClock(int64_t* manualNowUs) noexcept : manualNowUs_(manualNowUs) {}

  bool isManual() const noexcept { return manualNowUs_ != nullptr; }

  int64_t nowUs() const noexcept {
    return manualNowUs_ ? relaxedLoad(*manualNowUs_) : monotonicNowUs();
  }

 private:
  int64_t* manualNowUs_;
};

// Reads the clock at most once per operation, and only if the operation needs the time:
// admitting on a CLOSED circuit never touches the clock.
class LazyNow {
 public:
  explicit LazyNow(ArenaClock clock) noexcept : clock_(clock) {}

  int64_t us() noexcept {
    if (!known_) {
      us_ = clock_.nowUs();
      known_ = true;
    }
    return us_;
  }

  uint32_t ms32() noexcept { return toMs32(us()); }

 private:
  ArenaClock clock_;
  int64_t us_ = 0;
  bool known_ = false;
};

}  // namespace breakwater
