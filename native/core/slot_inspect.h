// Read-only views of a slot for diagnostics: snapshot(f64[28]), history(f64[5 * k]) and the
// control plane's windowStats(f64[23]) row.
// Readers take no part in the state machine; under concurrent writes they may see a mix of
// values from neighbouring moments.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "arena.h"
#include "atomic_ref.h"
#include "clock.h"
#include "deadline.h"
#include "histogram.h"
#include "lanes.h"
#include "layout.h"
#include "window.h"
#include "words.h"

namespace breakwater {

constexpr size_t kHistoryEntryFields = 5;  // atUs, from, to, reason, newGeneration

inline void snapshot(SlotRef slot, ArenaClock clock, double (&out)[kSnapshotFieldCount]) {
  SlotHeader& header = *slot.header;
  LazyNow now(clock);
  const StateWord w = StateWord::decode(atomic(header.stateWord).load(kAcquire));
  const HalfOpenWord probes =
      HalfOpenWord::decodeFor(atomic(header.halfOpenWord).load(kAcquire), w.generation);
  out[kSnapState] = double(w.state);
  out[kSnapGeneration] = w.generation;
  out[kSnapRemainingMs] = remainingMsOfState(header, w, now);
  out[kSnapConsecutiveFailures] = relaxedLoad(header.consecutiveFailures);
  out[kSnapReopens] = relaxedLoad(header.reopens);
  out[kSnapProbesAdmitted] = probes.admitted;
  out[kSnapProbeSuccesses] = probes.successes;

  LatencyHistogram latencies;
  const WindowCounts window = SlotWindow(slot, now).read(&latencies);
  out[kSnapWindowCalls] = double(window.calls);
  out[kSnapWindowSuccesses] = double(window.successes);
  out[kSnapWindowFailures] = double(window.failures);
  out[kSnapWindowSlowCalls] = double(window.slowCalls);
  out[kSnapWindowTimeouts] = double(window.timeouts);
  out[kSnapWindowRejections] = double(window.rejections);
  latencies.writeP50P90P99(out + kSnapP50Us);
  out[kSnapLatencySamples] = double(latencies.samples);

  Totals& totals = header.totals;
  const uint64_t inLanes = laneSuccesses(header);
  out[kSnapTotalCalls] = double(relaxedLoad(totals.calls) + inLanes);
  out[kSnapTotalSuccesses] = double(relaxedLoad(totals.successes) + inLanes);
  out[kSnapTotalFailures] = double(relaxedLoad(totals.failures));
  out[kSnapTotalSlowCalls] = double(relaxedLoad(totals.slowCalls));
  out[kSnapTotalTimeouts] = double(relaxedLoad(totals.timeouts));
  out[kSnapTotalRejections] = double(relaxedLoad(totals.rejections));
  out[kSnapTotalOpens] = double(relaxedLoad(totals.opens));
  out[kSnapTotalIgnored] = double(relaxedLoad(totals.ignored));

  const uint64_t transitions = relaxedLoad(header.transitionSequence);
  out[kSnapTransitionSequence] = double(transitions);
  out[kSnapMsSinceTransition] =
      transitions == 0 ? -1 : double(now.us() - relaxedLoad(header.lastTransitionAtUs)) / 1000;
  out[kSnapNowUs] = double(now.us());
}

namespace inspect_detail {
inline void writeCounts(double* out, const WindowCounts& counts, const LatencyHistogram& latencies) {
  out[0] = double(counts.calls);
  out[1] = double(counts.successes);
  out[2] = double(counts.failures);
  out[3] = double(counts.slowCalls);
  out[4] = double(counts.timeouts);
  out[5] = double(counts.rejections);
  latencies.writeP50P90P99(out + 6);
}
}  // namespace inspect_detail

// Histograms windowStats() sums into, kept empty between rows: a loop over an arena's slots
// clears only the bins each row used instead of zeroing two histograms per slot.
struct WindowStatsScratch {
  LatencyHistogram whole;
  LatencyHistogram recent;
};

// Ask the CPU to fetch what windowStats() will read of a slot, a few slots ahead of the loop over
// an arena's slots: slots lie kilobytes apart, beyond any prefetcher's guess, and waiting on
// memory once per line is most of a row's cost. First the header and each bucket's counters and
// tag, then (once those arrived) the histogram groups the tags mark.
inline void prefetchSlotAndTags(SlotRef slot) {
  const auto* header = reinterpret_cast<const char*>(slot.header);
  for (size_t offset = 0; offset < layout::kSlotFixedBytes; offset += 64) __builtin_prefetch(header + offset);
  const uint32_t buckets = WindowShape::of(slot).buckets;
  for (uint32_t i = 0; i < buckets; ++i) __builtin_prefetch(&slot.bucket(i));
}

inline void prefetchMarkedBins(SlotRef slot) {
  if (!slot.histogram) return;
  const uint32_t buckets = WindowShape::of(slot).buckets;
  for (uint32_t i = 0; i < buckets; ++i) {
    Bucket& bucket = slot.bucket(i);
    forEachMarkedGroup(relaxedLoad(bucket.tag), [&](uint32_t first, uint32_t end) {
      __builtin_prefetch(&bucket.histogram[first]);
      __builtin_prefetch(&bucket.histogram[end - 1]);
    });
  }
}

// One row of what the control plane reads of a breaker on each tick: state, the whole window
// and its recent part, so it can see trends (a rate rising, latency creeping) without a
// snapshot per breaker.
inline void windowStats(SlotRef slot, LazyNow& now, double* out, WindowStatsScratch& scratch) {
  SlotHeader& header = *slot.header;
  const StateWord w = StateWord::decode(atomic(header.stateWord).load(kAcquire));
  out[kStatState] = double(w.state);
  out[kStatConsecutiveFailures] = relaxedLoad(header.consecutiveFailures);
  const uint64_t transitions = relaxedLoad(header.transitionSequence);
  out[kStatMsSinceTransition] =
      transitions == 0 ? -1 : double(now.us() - relaxedLoad(header.lastTransitionAtUs)) / 1000;
  out[kStatTotalCalls] = double(relaxedLoad(header.totals.calls) + laneSuccesses(header));
  out[kStatTotalRejections] = double(relaxedLoad(header.totals.rejections));
  SlotWindow window(slot, now);
  WindowCounts whole, recent;
  window.readWithRecent(whole, scratch.whole, recent, scratch.recent);
  inspect_detail::writeCounts(out + kStatWindow, whole, scratch.whole);
  inspect_detail::writeCounts(out + kStatRecent, recent, scratch.recent);
  scratch.whole.clear();
  scratch.recent.clear();
}

// Writes the last min(maxEntries, 8) transitions, oldest first, as rows of
// kHistoryEntryFields; returns how many rows it wrote.
inline uint32_t history(SlotRef slot, double* out, uint32_t maxEntries) {
  SlotHeader& header = *slot.header;
  const uint64_t sequence = relaxedLoad(header.transitionSequence);
  const uint32_t count = uint32_t(
      std::min<uint64_t>({maxEntries, layout::kHistoryEntries, sequence}));
  for (uint32_t i = 0; i < count; ++i) {
    HistoryEntry& entry = header.history[(sequence - count + i) % layout::kHistoryEntries];
    const TransitionWord t = TransitionWord::decode(relaxedLoad(entry.transition));
    double* row = out + size_t{i} * kHistoryEntryFields;
    row[0] = double(relaxedLoad(entry.atUs));
    row[1] = double(t.from);
    row[2] = double(t.to);
    row[3] = double(t.reason);
    row[4] = t.newGeneration;
  }
  return count;
}

}  // namespace breakwater
