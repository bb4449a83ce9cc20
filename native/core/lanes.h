// Per-thread success lanes (LAYOUT.md "Lanes"): each thread's fast path counts its successes in
// a lane of its own inside the slot, so no count lives only in a thread's heap; readers add the
// lanes to the totals. A thread claims its lane of an arena as a bit of the header's lane mask.
#pragma once

#include <cstdint>

#include "atomic_ref.h"
#include "layout.h"

namespace breakwater {

constexpr uint32_t kAllLanes = (uint32_t{1} << layout::kLanes) - 1;

// Claims the lowest free lane of an arena; -1 when every lane is taken.
inline int32_t claimLane(ArenaHeader& header) noexcept {
  uint32_t taken = atomic(header.lanesClaimed).load(kAcquire);
  for (;;) {
    const uint32_t free = ~taken & kAllLanes;
    if (free == 0) return -1;
    const uint32_t lowest = free & (0u - free);
    if (atomic(header.lanesClaimed).compare_exchange_weak(taken, taken | lowest, kAcqRel, kAcquire)) {
      return __builtin_ctz(lowest);
    }
  }
}

// Frees a lane for the next thread, which counts on from what it holds (the totals stay exact).
inline void releaseLane(ArenaHeader& header, int32_t lane) noexcept {
  uint32_t taken = atomic(header.lanesClaimed).load(kAcquire);
  while (!atomic(header.lanesClaimed)
              .compare_exchange_weak(taken, taken & ~(uint32_t{1} << lane), kAcqRel, kAcquire)) {
  }
}

inline double laneSum(SlotHeader& header) noexcept {
  double sum = 0;
  for (double& lane : header.lanes) sum += relaxedLoad(lane);
  return sum;
}

// Successes counted in lanes since the last reset: part of totals.calls and totals.successes.
inline uint64_t laneSuccesses(SlotHeader& header) noexcept {
  const double counted = laneSum(header) - relaxedLoad(header.laneBaseline);
  return counted > 0 ? uint64_t(counted) : 0;
}

}  // namespace breakwater
