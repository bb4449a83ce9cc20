// Time left before a state's deadline, exact however long the slot sat idle.
//
// The state word holds its deadline as 32-bit ms, compared in serial arithmetic: exact while
// fewer than 2^31 ms pass after it was set. A deadline that looks ahead is confirmed from the
// full-width time of the transition that set it (the newest history entry), so a circuit left
// open for 25 days, or 25 years, never counts as still open.
#pragma once

#include <cstdint>

#include "atomic_ref.h"
#include "clock.h"
#include "layout.h"
#include "words.h"

namespace breakwater {

// Milliseconds until w's deadline; 0 once it is reached.
inline uint32_t remainingMs(SlotHeader& header, StateWord w, LazyNow& now) noexcept {
  // Never wrong when reached: a deadline truly ahead is less than 2^30 ms ahead.
  if (reached(now.ms32(), w.deadline)) return 0;
  const uint32_t serial = w.deadline - now.ms32();
  const uint64_t sequence = atomic(header.transitionSequence).load(kAcquire);
  if (sequence == 0) return serial;
  HistoryEntry& entry = header.history[(sequence - 1) % layout::kHistoryEntries];
  const TransitionWord set = TransitionWord::decode(atomic(entry.transition).load(kAcquire));
  // The entry is not written yet: the transition is happening now, so its deadline is ahead.
  if (set.newGeneration != w.generation || set.to != w.state) return serial;
  const int64_t setAtMs = floorMs(relaxedLoad(entry.atUs));
  const uint32_t period = w.deadline - uint32_t(uint64_t(setAtMs));
  const int64_t left = setAtMs + int64_t{period} - floorMs(now.us());
  return left > 0 ? uint32_t(left) : 0;
}

// OPEN always has a deadline; HALF_OPEN only when a half-open timeout is configured.
inline bool hasDeadline(SlotHeader& header, StateWord w) noexcept {
  return w.state == State::Open ||
         (w.state == State::HalfOpen && relaxedLoad(header.config.halfOpenTimeoutMs) > 0);
}

// remainingMs() for any state: 0 for a state without a deadline.
inline uint32_t remainingMsOfState(SlotHeader& header, StateWord w, LazyNow& now) noexcept {
  return hasDeadline(header, w) ? remainingMs(header, w, now) : 0;
}

inline bool reached(SlotHeader& header, StateWord w, LazyNow& now) noexcept {
  return remainingMs(header, w, now) == 0;
}

}  // namespace breakwater
