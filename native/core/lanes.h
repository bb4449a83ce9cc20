// Per-thread success lanes (LAYOUT.md "Lanes"): each thread's fast path counts its successes in
// a lane of its own inside the slot, so no count lives only in a thread's heap; readers add the
// lanes to the totals.
#pragma once

#include <cstdint>

#include "atomic_ref.h"
#include "layout.h"

namespace breakwater {

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
