// Deterministic checks of the latency histogram and the time and count windows against LAYOUT.md.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "check.h"
#include "core/arena.h"
#include "core/breaker_slot.h"
#include "core/clock.h"
#include "core/histogram.h"
#include "core/open_period.h"
#include "core/slot_inspect.h"
#include "core/window.h"
#include "core/words.h"
#include "test_arena.h"
#include "unit_support.h"

namespace {

using namespace breakwater;
using namespace breakwater::test;

void histogramBins() {
  CHECK_EQ(binIndex(0), 0u);
  CHECK_EQ(binIndex(3), 3u);
  CHECK_EQ(binIndex(4), 4u);
  CHECK_EQ(binIndex(7), 7u);
  CHECK_EQ(binIndex(8), 8u);
  CHECK_EQ(binIndex(9), 8u);
  CHECK_EQ(binIndex(10), 9u);
  CHECK_EQ(binIndex(1000), 35u);
  CHECK_EQ(binLow(35), 896u);
  CHECK_EQ(binHigh(35), 1024u);
  CHECK_EQ(binIndex(uint64_t(1) << 40), kLastBin);
  CHECK_EQ(binIndex(binLow(kLastBin)), kLastBin);

  bool bounds = true;
  for (uint32_t i = 0; i < kLastBin; ++i) {
    bounds = bounds && binIndex(binLow(i)) == i && binIndex(binHigh(i) - 1) == i &&
             binLow(i) < binHigh(i);
  }
  CHECK(bounds);
}

void histogramPercentiles() {
  LatencyHistogram empty;
  CHECK(std::isnan(empty.percentile(0.5)));

  LatencyHistogram h;
  addSamples(h, 0, 1);
  addSamples(h, binIndex(5), 99);
  CHECK_EQ(h.percentile(0.01), 0.5);  // rank ceil(0.99) = 1: the first bin
  CHECK_EQ(h.percentile(0.5), 5.5);
  CHECK_EQ(h.percentile(1.0), 5.5);

  std::mt19937_64 rng(20240611);
  std::lognormal_distribution<double> lognormal(std::log(2000.0), 0.9);
  std::uniform_int_distribution<uint64_t> uniform(50, 50000);
  std::vector<uint64_t> logSamples, uniformSamples;
  for (int i = 0; i < 200000; ++i) {
    logSamples.push_back(uint64_t(lognormal(rng)));
    uniformSamples.push_back(uniform(rng));
  }
  checkPercentilesNearExact(logSamples, "lognormal");
  checkPercentilesNearExact(uniformSamples, "uniform");

  // One pass for p50/p90/p99 equals three percentile() calls; clear() empties only what was used.
  std::uniform_int_distribution<uint32_t> anyBin(0, kLastBin);
  std::uniform_int_distribution<uint64_t> anyCount(1, 1000);
  bool onePassAgrees = true;
  LatencyHistogram reused;
  for (int round = 0; round < 500; ++round) {
    LatencyHistogram fresh;
    const int adds = 1 + round % 7;
    for (int k = 0; k < adds; ++k) {
      const uint32_t bin = anyBin(rng);
      const uint64_t count = anyCount(rng);
      addSamples(fresh, bin, count);
      addSamples(reused, bin, count);
    }
    double three[3];
    reused.writeP50P90P99(three);
    onePassAgrees = onePassAgrees && three[0] == fresh.percentile(0.5) && three[1] == fresh.percentile(0.9) &&
                    three[2] == fresh.percentile(0.99);
    reused.clear();
  }
  CHECK(onePassAgrees);
  CHECK(reused.samples == 0 && std::all_of(std::begin(reused.bins), std::end(reused.bins), [](uint64_t b) { return b == 0; }));
  double none[3];
  reused.writeP50P90P99(none);
  CHECK(std::isnan(none[0]) && std::isnan(none[1]) && std::isnan(none[2]));
}

void timeWindow() {
  TestArena arena;
  Options options;
  options.buckets = 4;
  options.windowSize = 4000;  // 1 s per bucket
  options.applyTo(arena.slot());
  CHECK_EQ(arena.slot().header->config.bucketSpan, uint64_t(kSecondUs));

  const auto add = [&](Outcome outcome, uint32_t count = 1) {
    LazyNow now(arena.arena().clock());
    SlotWindow(arena.slot(), now).addCalls({outcome, count, false, 50});
  };
  const auto read = [&] {
    LazyNow now(arena.arena().clock());
    return SlotWindow(arena.slot(), now).read();
  };

  arena.setNowUs(10 * kSecondUs);
  add(Outcome::Success, 2);
  arena.setNowUs(11 * kSecondUs + 500000);
  add(Outcome::Timeout);
  WindowCounts w = read();
  CHECK(w.calls == 3 && w.successes == 2 && w.failures == 1 && w.timeouts == 1);

  arena.setNowUs(13 * kSecondUs + 999999);  // epochs 10..13 still in the window
  CHECK_EQ(read().calls, 3u);
  arena.setNowUs(14 * kSecondUs);  // epoch 10 expires
  w = read();
  CHECK(w.calls == 1 && w.failures == 1);

  arena.setNowUs(15 * kSecondUs);  // epoch 15 reuses epoch 11's bucket, zeroed
  add(Outcome::Success);
  w = read();
  CHECK(w.calls == 1 && w.successes == 1 && w.failures == 0);

  arena.setNowUs(11 * kSecondUs);  // a late add for an epoch whose bucket moved on
  add(Outcome::Failure);
  arena.setNowUs(15 * kSecondUs);
  CHECK_EQ(read().failures, 0u);

  LazyNow now(arena.arena().clock());
  SlotWindow(arena.slot(), now).addRejections(5);
  CHECK_EQ(read().rejections, 5u);

  SlotWindow::clear(arena.slot());
  w = read();
  CHECK(w.calls == 0 && w.rejections == 0);
  bool allEmpty = true;
  for (uint32_t i = 0; i < arena.slot().maxBuckets; ++i) {
    const Bucket& b = arena.slot().bucket(i);
    allEmpty = allEmpty && b.tag == 0 && b.calls == 0 && b.rejections == 0 &&
               b.histogram[binIndex(50)] == 0;
  }
  CHECK(allEmpty);
}

// A bucket's tag marks the groups of bins its epoch wrote; reads take only marked groups and a
// claim zeroes only them, so a bin nothing marked is neither read nor written.
void histogramGroupMarks() {
  TestArena arena;
  Options options;
  options.buckets = 2;
  options.windowSize = 2000;  // 1 s per bucket
  options.applyTo(arena.slot());
  const auto add = [&](int64_t latencyUs) {
    LazyNow now(arena.arena().clock());
    SlotWindow(arena.slot(), now).addCalls({Outcome::Success, 1, false, latencyUs});
  };
  const auto latencies = [&] {
    LazyNow now(arena.arena().clock());
    LatencyHistogram histogram;
    SlotWindow(arena.slot(), now).read(&histogram);
    return histogram;
  };
  arena.setNowUs(4 * kSecondUs);
  add(50);      // bin 22: group 1
  add(200000);  // bin 67: group 4
  Bucket& bucket = arena.slot().bucket(0);
  CHECK_EQ(bucket.tag & kTagEpochMask, 5u);
  CHECK_EQ(bucket.tag >> layout::kTagEpochBits, (1u << 1) | (1u << 4));
  CHECK_EQ(latencies().samples, 2u);

  bucket.histogram[binIndex(3000)] = 7;  // group 2, not marked: a count no add made
  CHECK_EQ(latencies().samples, 2u);
  arena.setNowUs(6 * kSecondUs);  // epoch 6 claims the bucket: groups 1 and 4 zeroed
  add(50);
  CHECK_EQ(bucket.tag, 7u | groupBitOf(binIndex(50)));
  CHECK(bucket.histogram[binIndex(200000)] == 0 && bucket.histogram[binIndex(50)] == 1);
  CHECK_EQ(bucket.histogram[binIndex(3000)], 7u);
  CHECK_EQ(latencies().samples, 1u);

  // A count window past the last epoch a tag holds (2^62 calls, one per bucket) counts in it.
  TestArena counted;
  options.windowType = 1;
  options.windowSize = 2;
  options.applyTo(counted.slot());
  counted.slot().header->callSequence = uint64_t(1) << 62;
  LazyNow now(counted.arena().clock());
  SlotWindow(counted.slot(), now).addCalls({Outcome::Failure, 1, false, 50});
  CHECK_EQ(counted.slot().bucket(uint32_t(kMaxEpoch % 2)).tag & kTagEpochMask, kMaxEpoch + 1);
  CHECK_EQ(SlotWindow(counted.slot(), now).read().failures, 1u);
}

void countWindow() {
  TestArena arena;
  Options options;
  options.windowType = 1;
  options.buckets = 3;
  options.windowSize = 30;  // 10 calls per bucket
  options.applyTo(arena.slot());
  CHECK_EQ(arena.slot().header->config.bucketSpan, 10u);

  LazyNow now(arena.arena().clock());
  const auto add = [&](Outcome outcome, uint32_t count, bool slow = false, int64_t latency = -1) {
    SlotWindow(arena.slot(), now).addCalls({outcome, count, slow, latency});
  };
  const auto read = [&](LatencyHistogram* latencies = nullptr) {
    return SlotWindow(arena.slot(), now).read(latencies);
  };

  add(Outcome::Success, 25);  // sequence 0..24: epochs 0, 1, 2
  CHECK_EQ(read().calls, 25u);
  add(Outcome::Failure, 1);  // sequence 25, epoch 2
  WindowCounts w = read();
  CHECK(w.calls == 26 && w.failures == 1);

  // Sequence 26..65 spans epochs 2..6; only the newest three pieces (10 + 10 + 6) are kept.
  add(Outcome::Success, 40, true, 700);
  LatencyHistogram latencies;
  w = read(&latencies);
  CHECK(w.calls == 26 && w.successes == 26 && w.failures == 0);
  CHECK(w.slowCalls == 1 && latencies.samples == 1 && latencies.bins[binIndex(700)] == 1);
  CHECK_EQ(arena.slot().header->callSequence, 66u);

  SlotWindow(arena.slot(), now).addRejections(2);  // to the current epoch, 6
  CHECK_EQ(read().rejections, 2u);
  CHECK_EQ(arena.slot().bucket(6 % 3).rejections, 2u);

  add(Outcome::Ignored, 1);  // neither success nor failure: no place among the last N calls
  w = read();
  CHECK(w.calls == 26 && w.successes == 26 && w.failures == 0);
  CHECK_EQ(arena.slot().header->callSequence, 66u);
}

void configureClampsAndClears() {
  TestArena arena(1, 8);
  Options options;
  options.buckets = 4;
  options.windowSize = 1000;
  options.applyTo(arena.slot());
  LazyNow now(arena.arena().clock());
  SlotWindow(arena.slot(), now).addCalls({Outcome::Success, 3, false, -1});

  options.failureThreshold = 9;  // same window shape: counts survive
  options.applyTo(arena.slot());
  CHECK_EQ(SlotWindow(arena.slot(), now).read().calls, 3u);

  options.windowSize = 2000;  // new span: the window starts over
  options.applyTo(arena.slot());
  CHECK_EQ(SlotWindow(arena.slot(), now).read().calls, 0u);

  Options wild;
  wild.buckets = 999;
  wild.windowSize = 0;
  wild.failureRateThreshold = std::nan("");
  wild.jitter = 2;
  wild.backoffFactor = 0.5;
  wild.halfOpenMaxCalls = 0;
  wild.halfOpenSuccessThreshold = 1e9;
  wild.recoveryTimeoutMs = 1e12;
  wild.slowCallDurationMs = 1.5;
  wild.applyTo(arena.slot());
  const SlotConfig& c = arena.slot().header->config;
  CHECK(c.buckets == 8 && c.bucketSpan == 1 && c.failureRateThreshold == 0 && c.jitter == 1 &&
        c.backoffFactor == 1 && c.halfOpenMaxCalls == 1 &&
        c.halfOpenSuccessThreshold == 65535 && c.recoveryTimeoutMs == kMaxPeriodMs &&
        c.slowCallDurationUs == 1500);
}

// windowStats: the whole window and its recent part (the newest ceil(buckets / 4) buckets, one more
// while the current bucket is less than half through), in one row.
void windowStatsRow() {
  TestArena arena;
  Options options;
  options.buckets = 8;
  options.windowSize = 8000;  // 1 s per bucket; the recent part is the newest 2 buckets
  options.applyTo(arena.slot());
  const auto add = [&](Outcome outcome, uint32_t count, int64_t latencyUs) {
    LazyNow now(arena.arena().clock());
    SlotWindow(arena.slot(), now).addCalls({outcome, count, false, latencyUs});
  };
  arena.setNowUs(100 * kSecondUs);
  for (int i = 0; i < 6; ++i) add(Outcome::Success, 1, 1000);  // one latency sample per batch
  arena.setNowUs(105 * kSecondUs);
  add(Outcome::Failure, 1, 8000);
  arena.setNowUs(106 * kSecondUs);
  add(Outcome::Timeout, 1, 64000);
  add(Outcome::Success, 2, -1);

  double row[kWindowStatsFieldCount];
  LazyNow now(arena.arena().clock());
  WindowStatsScratch scratch;
  windowStats(arena.slot(), now, row, scratch);
  // The scratch comes back empty, so the next row read with it is the row read afresh.
  CHECK(scratch.whole.samples == 0 && scratch.recent.samples == 0);
  double again[kWindowStatsFieldCount];
  windowStats(arena.slot(), now, again, scratch);
  WindowStatsScratch fresh;
  double afresh[kWindowStatsFieldCount];
  windowStats(arena.slot(), now, afresh, fresh);
  bool same = true;
  for (size_t f = 0; f < kWindowStatsFieldCount; ++f) same = same && (again[f] == afresh[f] || (std::isnan(again[f]) && std::isnan(afresh[f])));
  CHECK(same);
  CHECK_EQ(row[kStatState], double(State::Closed));
  CHECK_EQ(row[kStatMsSinceTransition], -1.0);
  CHECK_EQ(row[kStatWindow + 0], 10.0);  // calls
  CHECK_EQ(row[kStatWindow + 2], 2.0);   // failures (the timeout included)
  CHECK_EQ(row[kStatWindow + 4], 1.0);   // timeouts
  CHECK_EQ(row[kStatRecent + 0], 4.0);   // epochs 104 (empty) to 106: 106 has just started
  CHECK_EQ(row[kStatRecent + 1], 2.0);
  CHECK_EQ(row[kStatRecent + 2], 2.0);
  // The recent samples are the slow ones (8 and 64 ms); the window's median is still 1 ms.
  CHECK(row[kStatRecent + 6] > 7000 && row[kStatRecent + 6] < 9000);
  CHECK(row[kStatRecent + 8] > 57000 && row[kStatWindow + 6] < 1200);
}

// The recent part spans a quarter of the window give or take half a bucket: one bucket more while
// the current one is less than half through, of time or of calls, so a bucket that just started is
// never read alone.
void recentPartAroundAQuarter() {
  TestArena timed;
  Options time;
  time.buckets = 4;
  time.windowSize = 4000;  // 1 s per bucket
  time.applyTo(timed.slot());
  const auto recentCalls = [](TestArena& arena) {
    double row[kWindowStatsFieldCount];
    LazyNow now(arena.arena().clock());
    WindowStatsScratch scratch;
    windowStats(arena.slot(), now, row, scratch);
    return row[kStatRecent + 0];
  };
  const auto addAt = [&](int64_t us, Outcome outcome, uint32_t count) {
    timed.setNowUs(us);
    LazyNow now(timed.arena().clock());
    SlotWindow(timed.slot(), now).addCalls({outcome, count, false, 1000});
  };
  addAt(100 * kSecondUs + 500000, Outcome::Failure, 3);  // epoch 100
  addAt(101 * kSecondUs + 100000, Outcome::Success, 1);  // epoch 101
  timed.setNowUs(101 * kSecondUs + 400000);
  CHECK_EQ(recentCalls(timed), 4.0);  // epochs 100 and 101
  timed.setNowUs(101 * kSecondUs + 500000);
  CHECK_EQ(recentCalls(timed), 1.0);  // epoch 101 alone from half way
  timed.setNowUs(102 * kSecondUs);
  CHECK_EQ(recentCalls(timed), 1.0);  // epochs 101 and 102

  TestArena counted;
  Options count;
  count.windowType = 1;
  count.buckets = 4;
  count.windowSize = 40;  // 10 calls per bucket
  count.applyTo(counted.slot());
  LazyNow now(counted.arena().clock());
  SlotWindow(counted.slot(), now).addCalls({Outcome::Success, 14, false, -1});
  CHECK_EQ(recentCalls(counted), 14.0);  // 4 calls into epoch 1: epochs 0 and 1
  SlotWindow(counted.slot(), now).addCalls({Outcome::Success, 1, false, -1});
  CHECK_EQ(recentCalls(counted), 5.0);  // 5 of 10: epoch 1 alone
}

// An arena without latency histograms: 32-byte buckets, counts as usual, no percentiles, and
// neighbouring slots untouched by a slot's window.
void arenaWithoutHistograms() {
  TestArena arena(2, 4, ClockMode::Manual, 0);
  CHECK_EQ(size_t(reinterpret_cast<std::byte*>(arena.slot(1).header) - reinterpret_cast<std::byte*>(arena.slot(0).header)),
           layout::kSlotFixedBytes + 4 * layout::kBucketCounterBytes);
  for (uint32_t index : {0u, 1u}) {
    Options options;
    options.buckets = 4;
    options.windowSize = 4000;
    options.applyTo(arena.slot(index));
  }
  BreakerSlot first = arena.breaker(0);
  arena.setNowUs(10 * kSecondUs);
  for (int i = 0; i < 5; ++i) call(first, Outcome::Success, 1500);
  call(first, Outcome::Failure, 90000);
  const Snapshot s = snap(arena, 0);
  CHECK_EQ(s[kSnapWindowCalls], 6.0);
  CHECK_EQ(s[kSnapWindowFailures], 1.0);
  CHECK(std::isnan(s[kSnapP50Us]) && s[kSnapLatencySamples] == 0);
  const Snapshot other = snap(arena, 1);
  CHECK_EQ(other[kSnapWindowCalls], 0.0);
  CHECK_EQ(other[kSnapTotalCalls], 0.0);
  double row[kWindowStatsFieldCount];
  LazyNow now(arena.arena().clock());
  WindowStatsScratch scratch;
  windowStats(arena.slot(0), now, row, scratch);
  CHECK(row[kStatWindow + 0] == 6.0 && std::isnan(row[kStatWindow + 6]) && std::isnan(row[kStatRecent + 8]));
}

}  // namespace

void breakwater::test::windowChecks() {
  histogramBins();
  histogramPercentiles();
  timeWindow();
  histogramGroupMarks();
  countWindow();
  configureClampsAndClears();
  windowStatsRow();
  recentPartAroundAQuarter();
  arenaWithoutHistograms();
}
