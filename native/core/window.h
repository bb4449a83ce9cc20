// A slot's sliding window: a ring of buckets, each tagged with the epoch it counts (epoch + 1,
// 0 = empty). An epoch is a span of time (time windows) or of call sequence numbers (count
// windows). Buckets are claimed for a newer epoch by CAS on the tag; concurrent adds racing a
// claim or a clear may be lost, which the contract allows. The tag's high bits mark the groups of
// histogram bins written in its epoch, so reads and claims touch only those (a window's calls sit
// in a few bins, and the rest of a 208-byte histogram need not leave memory).
#pragma once

#include <algorithm>
#include <cstdint>

#include "arena.h"
#include "atomic_ref.h"
#include "clock.h"
#include "histogram.h"
#include "layout.h"

namespace breakwater {

constexpr uint64_t kTagEpochMask = (uint64_t{1} << layout::kTagEpochBits) - 1;
// The last epoch a tag can hold: a clock beyond it counts in that epoch.
constexpr uint64_t kMaxEpoch = kTagEpochMask - 1;
constexpr uint32_t kHistogramGroups =
    (layout::kHistogramBins + layout::kHistogramGroupBins - 1) / layout::kHistogramGroupBins;
static_assert(layout::kTagEpochBits + kHistogramGroups <= 64, "the group bits must fit the tag");

constexpr uint64_t groupBitOf(uint32_t bin) {
  return uint64_t{1} << (layout::kTagEpochBits + bin / layout::kHistogramGroupBins);
}

// The bins of each group marked in `tag`, in order: f(firstBin, endBin).
template <typename F>
void forEachMarkedGroup(uint64_t tag, F&& f) {
  for (uint64_t groups = tag >> layout::kTagEpochBits; groups != 0; groups &= groups - 1) {
    const uint32_t first = uint32_t(__builtin_ctzll(groups)) * layout::kHistogramGroupBins;
    f(first, std::min(first + layout::kHistogramGroupBins, layout::kHistogramBins));
  }
}

// Completed calls reported together: `count` outcomes of one kind, with one latency sample.
struct CallBatch {
  Outcome outcome;
  uint32_t count;
  bool slow;
  int64_t latencyUs;  // negative = not measured

  bool isFailure() const { return outcome == Outcome::Failure || outcome == Outcome::Timeout; }
};

struct WindowCounts {
  uint64_t calls = 0;
  uint64_t successes = 0;
  uint64_t failures = 0;
  uint64_t slowCalls = 0;
  uint64_t timeouts = 0;
  uint64_t rejections = 0;
};

// The window configuration, read once per operation and clamped so that a slot JavaScript
// never configured (or configured with garbage) still addresses only its own buckets.
struct WindowShape {
  WindowType type;
  uint32_t buckets;
  uint64_t span;

  static WindowShape of(SlotRef slot) {
    SlotConfig& config = slot.header->config;
    const uint32_t buckets = relaxedLoad(config.buckets);
    return {relaxedLoad(config.windowType) == uint32_t(WindowType::Count) ? WindowType::Count
                                                                          : WindowType::Time,
            std::clamp<uint32_t>(buckets, 1, slot.maxBuckets),
            std::max<uint64_t>(relaxedLoad(config.bucketSpan), 1)};
  }
};

class SlotWindow {
 public:
  SlotWindow(SlotRef slot, LazyNow& now) : slot_(slot), now_(now), shape_(WindowShape::of(slot)) {}

  // Count windows number the calls first; a batch that crosses epochs is split, keeping at most
  // one piece per bucket (the newest). The newest piece carries the slow flag and the sample.
  void addCalls(const CallBatch& batch) {
    if (shape_.type == WindowType::Time) {
      addToEpoch(timeEpoch(), batch);
      return;
    }
    // An ignored call is neither success nor failure: in the last N calls it would take an
    // outcome's place, and a window holding one could never reach a minimumCalls of N.
    if (batch.outcome == Outcome::Ignored) return;
    const uint64_t first = atomic(slot_.header->callSequence).fetch_add(batch.count, kRelaxed);
    const uint64_t last = first + batch.count - 1;
    const uint64_t lastEpoch = last / shape_.span;
    if (lastEpoch > kMaxEpoch) {  // past the last epoch a tag holds: counted in it
      addToEpoch(kMaxEpoch, batch);
      return;
    }
    const uint64_t oldestKept = lastEpoch >= shape_.buckets ? lastEpoch - shape_.buckets + 1 : 0;
    for (uint64_t epoch = std::max(first / shape_.span, oldestKept); epoch < lastEpoch; ++epoch) {
      const uint64_t from = std::max(first, epoch * shape_.span);
      const uint64_t to = (epoch + 1) * shape_.span - 1;
      addToEpoch(epoch, {batch.outcome, uint32_t(to - from + 1), false, -1});
    }
    const uint64_t newestFrom = std::max(first, lastEpoch * shape_.span);
    addToEpoch(lastEpoch, {batch.outcome, uint32_t(last - newestFrom + 1), batch.slow,
                           batch.latencyUs});
  }

  void addRejections(uint32_t count) {
    uint64_t tag;
    if (Bucket* bucket = acquire(currentEpoch(), tag)) bump(bucket->rejections, count);
  }

  WindowCounts read(LatencyHistogram* latencies = nullptr) {
    const uint64_t current = currentEpoch();
    WindowCounts sum;
    for (uint32_t i = 0; i < shape_.buckets; ++i) {
      Bucket& bucket = slot_.bucket(i);
      const uint64_t tag = atomic(bucket.tag).load(kAcquire);
      if (!live(tag, current)) continue;
      add(sum, countsOf(bucket));
      if (latencies && slot_.histogram) addLatencies(bucket, tag, *latencies);
    }
    return sum;
  }

  // The whole window and its recent part (recentBuckets()) in one pass over the buckets (each
  // bucket's counters and histogram are loaded once): what the control plane reads every tick.
  void readWithRecent(WindowCounts& whole, LatencyHistogram& wholeLatencies, WindowCounts& recent,
                      LatencyHistogram& recentLatencies) {
    const uint64_t current = currentEpoch();
    const uint32_t span = recentBuckets();
    for (uint32_t i = 0; i < shape_.buckets; ++i) {
      Bucket& bucket = slot_.bucket(i);
      const uint64_t tag = atomic(bucket.tag).load(kAcquire);
      if (!live(tag, current)) continue;
      const bool isRecent = (tag & kTagEpochMask) - 1 + span > current;
      const WindowCounts counts = countsOf(bucket);
      add(whole, counts);
      if (isRecent) add(recent, counts);
      if (!slot_.histogram) continue;
      addLatencies(bucket, tag, wholeLatencies);
      if (isRecent) addLatencies(bucket, tag, recentLatencies);  // from the cache: the bins were just read
    }
  }

  // Every bucket of the slot, not only the configured ones, so a later reconfiguration
  // cannot resurrect old counts; every bin, marked or not.
  static void clear(SlotRef slot) {
    for (uint32_t i = 0; i < slot.maxBuckets; ++i) {
      Bucket& bucket = slot.bucket(i);
      relaxedStore(bucket.tag, uint64_t{0});
      zeroCounters(bucket);
      if (slot.histogram)
        for (uint16_t& bin : bucket.histogram) relaxedStore(bin, uint16_t{0});
    }
  }

 private:
  uint64_t timeEpoch() {
    const int64_t us = now_.us();
    return us > 0 ? std::min(uint64_t(us) / shape_.span, kMaxEpoch) : 0;
  }

  // Whether a bucket's tag counts an epoch of the window that ends at `current`.
  bool live(uint64_t tag, uint64_t current) const {
    const uint64_t epochPlusOne = tag & kTagEpochMask;
    return epochPlusOne != 0 && epochPlusOne - 1 <= current && epochPlusOne - 1 + shape_.buckets > current;
  }

  // The bins of the groups `tag` marks (unmarked bins are zero or a racing add's).
  static void addLatencies(Bucket& bucket, uint64_t tag, LatencyHistogram& latencies) {
    forEachMarkedGroup(tag, [&](uint32_t first, uint32_t end) {
      latencies.addBins(first, end, [&](uint32_t bin) { return relaxedLoad(bucket.histogram[bin]); });
    });
  }

  // The buckets read as the window's recent part: the newest quarter, and one more while the
  // current bucket is less than half through. So the part spans a quarter of the window give or
  // take half a bucket, and is never a bucket that just started alone (a 4-bucket window's newest
  // bucket is nearly empty after each rotation, and its rates read noise).
  uint32_t recentBuckets() {
    const uint32_t quarter = (shape_.buckets + 3) / 4;
    return std::min(shape_.buckets, quarter + (currentBucketYoung() ? 1 : 0));
  }

  // Whether the current epoch has run less than half its span (of time, or of calls).
  bool currentBucketYoung() {
    uint64_t into;
    if (shape_.type == WindowType::Time) {
      const int64_t us = now_.us();
      into = us > 0 ? uint64_t(us) % shape_.span : 0;
    } else {
      const uint64_t sequence = relaxedLoad(slot_.header->callSequence);
      into = sequence == 0 ? 0 : (sequence - 1) % shape_.span + 1;
    }
    return into * 2 < shape_.span;
  }

  // The epoch reads and rejections use: the newest one that has started.
  uint64_t currentEpoch() {
    if (shape_.type == WindowType::Time) return timeEpoch();
    const uint64_t sequence = relaxedLoad(slot_.header->callSequence);
    return sequence == 0 ? 0 : std::min((sequence - 1) / shape_.span, kMaxEpoch);
  }

  // The bucket counting `epoch`, claimed (and zeroed) if it still holds an older epoch;
  // null when it already moved on to a newer epoch, so a late add is dropped. `tag` gets the
  // bucket's tag as it was seen (its group marks).
  Bucket* acquire(uint64_t epoch, uint64_t& tag) {
    Bucket& bucket = slot_.bucket(uint32_t(epoch % shape_.buckets));
    const uint64_t wanted = epoch + 1;
    tag = atomic(bucket.tag).load(kAcquire);
    for (;;) {
      const uint64_t held = tag & kTagEpochMask;
      if (held == wanted) return &bucket;
      if (held > wanted) return nullptr;
      if (atomic(bucket.tag).compare_exchange_weak(tag, wanted, kAcqRel, kAcquire)) {
        zeroCounters(bucket);
        // Only the groups the old epoch marked can hold counts.
        if (slot_.histogram)
          forEachMarkedGroup(tag, [&](uint32_t first, uint32_t end) {
            for (uint32_t bin = first; bin < end; ++bin) relaxedStore(bucket.histogram[bin], uint16_t{0});
          });
        tag = wanted;
        return &bucket;
      }
    }
  }

  void addToEpoch(uint64_t epoch, const CallBatch& batch) {
    uint64_t tag;
    Bucket* bucket = acquire(epoch, tag);
    if (!bucket) return;
    const uint32_t callsBefore = atomic(bucket->calls).fetch_add(batch.count, kRelaxed);
    switch (batch.outcome) {
      case Outcome::Success:
      case Outcome::CountedSuccess: bump(bucket->successes, batch.count); break;
      case Outcome::Failure: bump(bucket->failures, batch.count); break;
      case Outcome::Timeout:
        bump(bucket->failures, batch.count);
        bump(bucket->timeouts, batch.count);
        break;
      case Outcome::Ignored: break;
    }
    if (batch.slow) bump(bucket->slowCalls, 1u);
    // A bucket's first 65,000 calls give its latencies (one per batch): its u16 bins cannot wrap,
    // and past that many calls in a bucket's span they are a sample of it.
    if (batch.latencyUs < 0 || !slot_.histogram || callsBefore >= layout::kBucketLatencySamples) return;
    const uint32_t bin = binIndex(uint64_t(batch.latencyUs));
    // Marked before the bin is bumped: a claim that sees the mark zeroes the bin.
    if ((tag & groupBitOf(bin)) == 0) atomic(bucket->tag).fetch_or(groupBitOf(bin), kRelaxed);
    bump(bucket->histogram[bin], uint16_t{1});
  }

  static WindowCounts countsOf(Bucket& bucket) {
    return {relaxedLoad(bucket.calls),     relaxedLoad(bucket.successes), relaxedLoad(bucket.failures),
            relaxedLoad(bucket.slowCalls), relaxedLoad(bucket.timeouts),  relaxedLoad(bucket.rejections)};
  }

  static void add(WindowCounts& sum, const WindowCounts& counts) {
    sum.calls += counts.calls;
    sum.successes += counts.successes;
    sum.failures += counts.failures;
    sum.slowCalls += counts.slowCalls;
    sum.timeouts += counts.timeouts;
    sum.rejections += counts.rejections;
  }

  static void zeroCounters(Bucket& bucket) {
    for (uint32_t* counter : {&bucket.calls, &bucket.successes, &bucket.failures,
                              &bucket.slowCalls, &bucket.timeouts, &bucket.rejections}) {
      relaxedStore(*counter, 0u);
    }
  }

  SlotRef slot_;
  LazyNow& now_;
  WindowShape shape_;
};

}  // namespace breakwater
