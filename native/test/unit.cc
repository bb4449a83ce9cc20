// Deterministic single-threaded checks of the core against LAYOUT.md, plus the coarse clock's
// park/wake protocol.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <random>
#include <thread>
#include <vector>

#include "check.h"
#include "core/arena.h"
#include "core/breaker_slot.h"
#include "core/clock.h"
#include "core/coarse_clock.h"
#include "core/histogram.h"
#include "core/open_period.h"
#include "core/slot_inspect.h"
#include "core/window.h"
#include "core/words.h"
#include "test_arena.h"

namespace {

using namespace breakwater;
using namespace breakwater::test;

constexpr int64_t kSecondUs = 1000000;


bool isTransition(const Transition& t, State from, State to, Reason reason, uint32_t generation) {
  return t.happened && t.from == from && t.to == to && t.reason == reason &&
         t.newGeneration == generation;
}

// Admits and records one call.
Transition call(BreakerSlot& slot, Outcome outcome, int64_t latencyUs = -1) {
  const AdmitResult admitted = slot.admit();
  return slot.record(admitted.generation, outcome, 1, latencyUs);
}

double exactPercentile(std::vector<uint64_t> samples, double q) {
  std::sort(samples.begin(), samples.end());
  const auto rank = std::max<size_t>(1, size_t(std::ceil(q * double(samples.size()))));
  return double(samples[rank - 1]);
}

// `count` samples in one bin, added the way a window read adds a bucket's group of bins.
void addSamples(LatencyHistogram& histogram, uint32_t bin, uint64_t count) {
  histogram.addBins(bin, bin + 1, [&](uint32_t) { return uint32_t(count); });
}

// The estimate is the midpoint of the bin holding the exact percentile, so it is off by at most
// half a bin: +12.5% for a value at the bottom of a [4, 5) * 2^k bin, -10% at the top.
void checkPercentilesNearExact(const std::vector<uint64_t>& samples, const char* distribution) {
  LatencyHistogram histogram;
  for (uint64_t v : samples) addSamples(histogram, binIndex(v), 1);
  for (double q : {0.5, 0.9, 0.99}) {
    const double exact = exactPercentile(samples, q);
    const double estimate = histogram.percentile(q);
    const uint32_t bin = binIndex(uint64_t(exact));
    const bool ok = CHECK(estimate == double(binLow(bin) + binHigh(bin)) / 2) &&
                    CHECK(estimate <= exact * 1.125 && estimate >= exact * 0.9);
    if (!ok) {
      std::fprintf(stderr, "  %s q=%.2f estimate %.1f exact %.1f\n", distribution, q, estimate,
                   exact);
    }
  }
}

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

void words() {
  const StateWord w{State::HalfOpen, kGenerationMask, 0xFFFFFFF0u};
  const StateWord back = StateWord::decode(w.encode());
  CHECK(back.state == State::HalfOpen && back.generation == kGenerationMask &&
        back.deadline == 0xFFFFFFF0u);
  CHECK_EQ(nextGeneration(kGenerationMask), 0u);
  CHECK(isNewerGeneration(1, 0) && isNewerGeneration(0, kGenerationMask));
  CHECK(!isNewerGeneration(0, 1) && !isNewerGeneration(5, 5));

  const HalfOpenWord h{7, 65535, 3};
  const HalfOpenWord hBack = HalfOpenWord::decode(h.encode());
  CHECK(hBack.generation == 7 && hBack.admitted == 65535 && hBack.successes == 3);
  const HalfOpenWord other = HalfOpenWord::decodeFor(h.encode(), 8);
  CHECK(other.generation == 8 && other.admitted == 0 && other.successes == 0);

  const uint64_t entry = TransitionWord{State::Open, State::HalfOpen, Reason::RecoveryTimeout,
                                        0x0ABCDEF1}
                             .encode();
  CHECK_EQ(entry, 0x0ABCDEF100040201ull);  // bytes 01 02 04 00, then the generation
}

void serialTime() {
  CHECK_EQ(toMs32(1999), 1u);
  CHECK_EQ(toMs32(-1), 0xFFFFFFFFu);
  CHECK_EQ(toMs32((int64_t(1) << 32) * 1000 + 5000), 5u);
  CHECK(reached(5, 0xFFFFFFF0u));
  CHECK(!reached(0xFFFFFFF0u, 5));
  CHECK(reached(42, 42));
  CHECK(!reached(41, 42));
}

void openPeriods() {
  const Backoff doubling{1000, 30000, 2, 0};
  CHECK_EQ(openPeriodMs(doubling, 0, 1), 1000u);
  CHECK_EQ(openPeriodMs(doubling, 1, 1), 2000u);
  CHECK_EQ(openPeriodMs(doubling, 2, 1), 4000u);
  CHECK_EQ(openPeriodMs(doubling, 5, 1), 30000u);
  CHECK_EQ(openPeriodMs(doubling, 4000000000u, 1), 30000u);

  const Backoff flat{1000, 500, 1, 0};  // factor 1: the cap does not apply
  CHECK_EQ(openPeriodMs(flat, 5, 1), 1000u);

  // u(1) = 0x9E3779B1 / 2^32 = 0.6180..., u(2) = 0x3C6EF362 / 2^32 = 0.2360...
  const Backoff jittered{1000, 30000, 2, 0.5};
  CHECK_EQ(jitterUnit(0), 0.0);
  CHECK_EQ(openPeriodMs(jittered, 0, 1), 690u);
  CHECK_EQ(openPeriodMs(jittered, 0, 2), 881u);
  CHECK_EQ(openPeriodMs(jittered, 1, 2), 1763u);

  const Backoff huge{kMaxPeriodMs, kMaxPeriodMs, 3, 0};
  CHECK_EQ(openPeriodMs(huge, 7, 1), kMaxPeriodMs);
}

void arenaValidation() {
  TestArena good(2, 4);
  std::vector<uint64_t> copy(good.arena().capacity() * layout::slotBytes(4) / 8 + 32);
  auto* bytes = reinterpret_cast<unsigned char*>(copy.data());
  const auto* source = reinterpret_cast<const unsigned char*>(good.slot(0).header) -
                       layout::kHeaderBytes;
  std::copy(source, source + layout::kHeaderBytes, bytes);
  const size_t length = layout::kHeaderBytes + 2 * layout::slotBytes(4);
  auto& header = *reinterpret_cast<ArenaHeader*>(bytes);

  CHECK(Arena::validate(bytes, length).ok());
  CHECK(Arena::validate(bytes, length - 1).problem == ArenaProblem::ShorterThanSlots);
  CHECK(Arena::validate(bytes, 100).problem == ArenaProblem::ShorterThanHeader);
  CHECK(Arena::validate(bytes + 4, length - 4).problem == ArenaProblem::Misaligned);

  const auto withField = [&](uint32_t& field, uint32_t value) {
    const uint32_t saved = field;
    field = value;
    const ArenaProblem problem = Arena::validate(bytes, length).problem;
    field = saved;
    return problem;
  };
  CHECK(withField(header.magic, 0x31415743) == ArenaProblem::BadMagic);
  CHECK(withField(header.version, 1) == ArenaProblem::BadVersion);
  CHECK(withField(header.maxBuckets, 65) == ArenaProblem::BadMaxBuckets);
  CHECK(withField(header.slotBytes, 384) == ArenaProblem::BadSlotBytes);
  CHECK(withField(header.bins, 100) == ArenaProblem::BadBins);
  CHECK(withField(header.clockMode, 2) == ArenaProblem::BadClockMode);
  CHECK(withField(header.capacity, 3) == ArenaProblem::ShorterThanSlots);
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

  add(Outcome::Ignored, 1);  // counts as a call, neither success nor failure
  w = read();
  CHECK(w.calls == 27 && w.successes == 26 && w.failures == 0);
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

void tripByConsecutiveFailures() {
  TestArena arena;
  Options options;
  options.failureThreshold = 3;
  options.applyTo(arena.slot());
  BreakerSlot slot = arena.breaker();
  arena.setNowUs(5 * kSecondUs);

  const AdmitResult first = slot.admit();
  CHECK(first.admitted && first.generation == 0 && !first.transition.happened);
  CHECK(!slot.record(0, Outcome::Failure, 1, 1500).happened);
  CHECK(!call(slot, Outcome::Failure).happened);
  call(slot, Outcome::Success);  // a success resets the run
  CHECK(!call(slot, Outcome::Failure).happened);
  CHECK(!call(slot, Outcome::Failure).happened);
  CHECK(isTransition(call(slot, Outcome::Timeout), State::Closed, State::Open,
                     Reason::ConsecutiveFailures, 1));

  const AdmitResult rejected = slot.admit();
  CHECK(!rejected.admitted && rejected.generation == 1);
  const Snapshot s = snap(arena);
  CHECK(s[kSnapState] == 1 && s[kSnapGeneration] == 1 && s[kSnapRemainingMs] == 1000);
  CHECK(s[kSnapTotalOpens] == 1 && s[kSnapTotalRejections] == 1 && s[kSnapWindowRejections] == 1);
  CHECK(s[kSnapTotalCalls] == 6 && s[kSnapTotalFailures] == 5 && s[kSnapTotalTimeouts] == 1);
  CHECK(s[kSnapConsecutiveFailures] == 3 && s[kSnapP50Us] == double(binLow(binIndex(1500)) +
                                                                    binHigh(binIndex(1500))) / 2);
  CHECK(s[kSnapTransitionSequence] == 1 && s[kSnapMsSinceTransition] == 0);
  arena.advanceUs(1500);
  CHECK_EQ(snap(arena)[kSnapMsSinceTransition], 1.5);
}

// The arena is shared memory: a state word written outside the cores may fall behind the
// half-open word's generation. admit() used to wait for the state word to move, for ever.
void halfOpenWordAheadOfAStillStateWord() {
  TestArena arena;
  Options options;
  options.halfOpenMaxCalls = 2;
  options.applyTo(arena.slot());
  BreakerSlot slot = arena.breaker();
  arena.setNowUs(kSecondUs);
  SlotHeader& header = *arena.slot().header;
  header.halfOpenWord = HalfOpenWord{9, 0, 0}.encode();
  header.stateWord = StateWord{State::HalfOpen, 5, 0}.encode();
  CHECK(!slot.admit().admitted);  // refused, and returned
  CHECK_EQ(header.stateWord, (StateWord{State::HalfOpen, 5, 0}.encode()));
  header.stateWord = StateWord{State(11), 5, 0}.encode();  // a state no core writes
  CHECK(!slot.admit().admitted);
  header.stateWord = StateWord{State::HalfOpen, 9, 0}.encode();  // the half-open word's own generation
  CHECK(slot.admit().admitted);
}

void halfOpenProbes() {
  TestArena arena;
  Options options;
  options.failureThreshold = 1;
  options.recoveryTimeoutMs = 1000;
  options.backoffFactor = 2;
  options.maxRecoveryTimeoutMs = 3000;
  options.halfOpenMaxCalls = 2;
  options.halfOpenSuccessThreshold = 2;
  options.applyTo(arena.slot());
  BreakerSlot slot = arena.breaker();
  arena.setNowUs(kSecondUs);

  call(slot, Outcome::Failure);  // trip: generation 1, open for period(0) = 1000 ms
  arena.advanceMs(999);
  CHECK(!slot.admit().admitted);
  arena.advanceMs(1);
  AdmitResult probe = slot.admit();
  CHECK(probe.admitted && probe.generation == 2 &&
        isTransition(probe.transition, State::Open, State::HalfOpen, Reason::RecoveryTimeout, 2));
  CHECK(slot.admit().admitted);
  CHECK(!slot.admit().admitted);  // both probes out
  CHECK_EQ(snap(arena)[kSnapProbesAdmitted], 2.0);

  // A failed probe reopens with one more backoff step: period(1) = 2000 ms.
  CHECK(isTransition(slot.record(2, Outcome::Failure, 1, -1), State::HalfOpen, State::Open,
                     Reason::ProbeFailure, 3));
  Snapshot s = snap(arena);
  CHECK(s[kSnapReopens] == 1 && s[kSnapRemainingMs] == 2000 && s[kSnapTotalOpens] == 2);
  CHECK(!slot.record(2, Outcome::Success, 1, -1).happened);  // the other probe comes back late

  arena.advanceMs(2000);
  probe = slot.admit();
  CHECK(probe.generation == 4 && probe.transition.happened);
  CHECK(isTransition(slot.record(4, Outcome::Failure, 1, -1), State::HalfOpen, State::Open,
                     Reason::ProbeFailure, 5));
  CHECK_EQ(snap(arena)[kSnapRemainingMs], 3000.0);  // 4000 capped

  arena.advanceMs(3000);
  probe = slot.admit();
  CHECK(!slot.record(6, Outcome::Success, 1, -1).happened);
  CHECK_EQ(snap(arena)[kSnapProbeSuccesses], 1.0);
  CHECK(isTransition(slot.record(6, Outcome::Success, 1, -1), State::HalfOpen, State::Closed,
                     Reason::ProbeSuccess, 7));
  s = snap(arena);
  CHECK(s[kSnapReopens] == 0 && s[kSnapWindowCalls] == 0 && s[kSnapProbesAdmitted] == 0);
}

void halfOpenTimeoutAndIgnoredProbe() {
  TestArena arena;
  Options options;
  options.failureThreshold = 1;
  options.recoveryTimeoutMs = 100;
  options.halfOpenTimeoutMs = 500;
  options.halfOpenMaxCalls = 1;
  options.applyTo(arena.slot());
  BreakerSlot slot = arena.breaker();

  call(slot, Outcome::Failure);
  arena.advanceMs(100);
  const AdmitResult probe = slot.admit();
  CHECK(probe.admitted && probe.generation == 2);
  CHECK(!slot.admit().admitted);
  CHECK(!slot.record(2, Outcome::Ignored, 1, -1).happened);  // gives the probe back
  CHECK(slot.admit().admitted);
  CHECK_EQ(snap(arena)[kSnapRemainingMs], 500.0);

  arena.advanceMs(499);
  CHECK(!slot.admit().admitted);
  arena.advanceMs(1);
  const AdmitResult timedOut = slot.admit();
  CHECK(!timedOut.admitted && timedOut.generation == 3 &&
        isTransition(timedOut.transition, State::HalfOpen, State::Open, Reason::HalfOpenTimeout,
                     3));
  CHECK_EQ(snap(arena)[kSnapReopens], 1.0);
}

void staleGenerationsMoveNothing() {
  TestArena arena;
  Options options;
  options.failureThreshold = 1;
  options.applyTo(arena.slot());
  BreakerSlot slot = arena.breaker();

  call(slot, Outcome::Failure);
  arena.advanceMs(1000);
  CHECK(slot.admit().generation == 2);
  CHECK(!slot.record(0, Outcome::Failure, 1, -1).happened);
  CHECK(!slot.record(1, Outcome::Success, 1, -1).happened);
  const Snapshot s = snap(arena);
  CHECK(s[kSnapState] == double(State::HalfOpen) && s[kSnapTotalCalls] == 3);
}

void tripByRates() {
  TestArena arena(2);
  Options options;
  options.failureRateThreshold = 0.5;
  options.minimumCalls = 4;
  options.applyTo(arena.slot(0));
  BreakerSlot failing = arena.breaker(0);
  call(failing, Outcome::Success);
  call(failing, Outcome::Ignored);  // not part of the rate
  call(failing, Outcome::Success);
  CHECK(!call(failing, Outcome::Failure).happened);  // 1 of 3, below minimumCalls
  CHECK(isTransition(call(failing, Outcome::Failure), State::Closed, State::Open,
                     Reason::FailureRate, 1));

  Options slowOptions;
  slowOptions.slowCallRateThreshold = 0.5;
  slowOptions.slowCallDurationMs = 100;
  slowOptions.minimumCalls = 2;
  slowOptions.applyTo(arena.slot(1));
  BreakerSlot slow = arena.breaker(1);
  CHECK(!call(slow, Outcome::Success, 100000).happened);  // slow, but 1 call < minimumCalls
  CHECK(!call(slow, Outcome::Success, 99999).happened);
  CHECK(isTransition(call(slow, Outcome::Success, 250000), State::Closed, State::Open,
                     Reason::SlowCallRate, 1));
  const Snapshot s = snap(arena, 1);
  CHECK(s[kSnapTotalSlowCalls] == 2 && s[kSnapWindowSlowCalls] == 2 &&
        s[kSnapLatencySamples] == 3);  // tripping keeps the window; only closing clears it
}

void manualOperations() {
  TestArena arena;
  Options options;
  options.failureThreshold = 1;
  options.applyTo(arena.slot());
  BreakerSlot slot = arena.breaker();

  CHECK(isTransition(slot.forceOpen(), State::Closed, State::ForcedOpen, Reason::ForceOpen, 1));
  CHECK(!slot.forceOpen().happened);
  CHECK(!slot.admit().admitted);
  CHECK_EQ(StateWord::decode(arena.slot().header->stateWord).deadline, 0u);
  CHECK(isTransition(slot.disable(), State::ForcedOpen, State::Disabled, Reason::Disable, 2));
  const AdmitResult admitted = slot.admit();
  CHECK(admitted.admitted && admitted.generation == 2);
  CHECK(!slot.record(2, Outcome::Failure, 1, -1).happened);  // a disabled breaker never trips
  CHECK(isTransition(slot.close(), State::Disabled, State::Closed, Reason::ManualClose, 3));
  CHECK(!slot.close().happened);

  call(slot, Outcome::Failure);
  CHECK(isTransition(slot.reset(), State::Open, State::Closed, Reason::Reset, 5));
  Snapshot s = snap(arena);
  CHECK(s[kSnapTotalCalls] == 0 && s[kSnapTotalOpens] == 0 && s[kSnapTotalRejections] == 0 &&
        s[kSnapTransitionSequence] == 5);
  call(slot, Outcome::Success);
  CHECK(!slot.reset().happened);
  CHECK_EQ(snap(arena)[kSnapTotalCalls], 0.0);
}

void restore() {
  TestArena arena;
  Options options;
  options.failureThreshold = 1;
  options.recoveryTimeoutMs = 1000;
  options.backoffFactor = 2;
  options.applyTo(arena.slot());
  BreakerSlot slot = arena.breaker();
  arena.setNowUs(7 * kSecondUs);

  CHECK(isTransition(slot.restore(State::HalfOpen, 700, 2), State::Closed, State::Open,
                     Reason::Restore, 1));
  Snapshot s = snap(arena);
  CHECK(s[kSnapState] == double(State::Open) && s[kSnapRemainingMs] == 700 &&
        s[kSnapReopens] == 2 && s[kSnapTotalOpens] == 1);
  CHECK(isTransition(slot.restore(State::Open, 5, 2), State::Open, State::Open, Reason::Restore,
                     2));

  // Restoring CLOSED keeps the reopen count, so the next trip backs off from it: 1000 * 2^3.
  CHECK(isTransition(slot.restore(State::Closed, 0, 3), State::Open, State::Closed,
                     Reason::Restore, 3));
  CHECK_EQ(snap(arena)[kSnapReopens], 3.0);
  call(slot, Outcome::Failure);
  CHECK_EQ(snap(arena)[kSnapRemainingMs], 8000.0);
}

void historyRing() {
  TestArena arena;
  BreakerSlot slot = arena.breaker();
  double rows[8 * kHistoryEntryFields];
  CHECK_EQ(history(arena.slot(), rows, 8), 0u);

  for (int i = 0; i < 5; ++i) {  // ten transitions, generations 1..10
    arena.advanceMs(1);
    slot.forceOpen();
    slot.close();
  }
  CHECK_EQ(history(arena.slot(), rows, 8), 8u);
  bool ordered = true;
  for (uint32_t i = 0; i < 8; ++i) {
    const double* row = rows + i * kHistoryEntryFields;
    const bool opening = i % 2 == 0;  // generation 3 (an opening) is the oldest kept
    ordered = ordered && row[4] == 3 + i &&
              row[1] == double(opening ? State::Closed : State::ForcedOpen) &&
              row[2] == double(opening ? State::ForcedOpen : State::Closed) &&
              row[3] == double(opening ? Reason::ForceOpen : Reason::ManualClose) &&
              row[0] == double((2 + i / 2) * 1000);
  }
  CHECK(ordered);
  CHECK_EQ(history(arena.slot(), rows, 3), 3u);
  CHECK_EQ(rows[4], 8.0);
}

void deadlinesAcrossTheWrap() {
  TestArena arena;
  Options options;
  options.failureThreshold = 1;
  options.recoveryTimeoutMs = 1000;
  options.applyTo(arena.slot());
  BreakerSlot slot = arena.breaker();
  arena.setNowUs((int64_t(1) << 32) * 1000 - 500 * 1000);  // nowMs32 = 2^32 - 500

  call(slot, Outcome::Failure);
  CHECK_EQ(StateWord::decode(arena.slot().header->stateWord).deadline, 500u);
  arena.advanceMs(999);  // nowMs32 = 499 after wrapping
  CHECK(!slot.admit().admitted);
  CHECK_EQ(snap(arena)[kSnapRemainingMs], 1.0);
  arena.advanceMs(1);
  CHECK(slot.admit().transition.reason == Reason::RecoveryTimeout);
}

void jitteredTrip() {
  TestArena arena;
  Options options;
  options.failureThreshold = 1;
  options.recoveryTimeoutMs = 1000;
  options.jitter = 0.5;
  options.applyTo(arena.slot());
  BreakerSlot slot = arena.breaker();
  call(slot, Outcome::Failure);
  CHECK_EQ(snap(arena)[kSnapRemainingMs], 690.0);  // period(0) for generation 1
}

template <class Predicate>
bool eventually(Predicate predicate, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!predicate()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return true;
}

void coarseClock() {
  using namespace std::chrono_literals;
  // Deliberately leaked, like CoarseClock::shared(): its detached thread outlives this test.
  static CoarseClock* const clock = new CoarseClock({std::chrono::microseconds(1000), 40ms});
  static ClockPage pages[2];
  const auto word = [](ClockPage& page, ClockPage::Word w) {
    return atomic(page.words[w]).load(kAcquire);
  };
  const auto freshNow = [&](ClockPage& page) {
    const auto lag = int32_t(toMs32(monotonicNowUs()) - uint32_t(word(page, ClockPage::kNowMs32)));
    return lag >= 0 && lag <= 50;
  };

  clock->registerPage(&pages[0]);
  CHECK_EQ(word(pages[0], ClockPage::kParked), 1);
  clock->wake();
  CHECK(eventually([&] { return word(pages[0], ClockPage::kParked) == 0; }, 2000ms));
  CHECK(freshNow(pages[0]));

  clock->registerPage(&pages[1]);
  CHECK_EQ(word(pages[1], ClockPage::kParked), 0);
  // Demand keeps it ticking well past the idle limit.
  const auto until = std::chrono::steady_clock::now() + 120ms;
  bool stayedAwake = true;
  while (std::chrono::steady_clock::now() < until) {
    atomic(pages[1].words[ClockPage::kDemand]).store(1, kRelaxed);
    std::this_thread::sleep_for(5ms);
    stayedAwake = stayedAwake && word(pages[0], ClockPage::kParked) == 0;
  }
  CHECK(stayedAwake);
  CHECK(freshNow(pages[1]));

  CHECK(eventually([&] { return word(pages[1], ClockPage::kParked) == 1; }, 2000ms));
  CHECK_EQ(word(pages[0], ClockPage::kParked), 1);

  clock->unregisterPage(&pages[0]);
  const int32_t frozen = word(pages[0], ClockPage::kNowMs32);
  clock->wake();
  CHECK(eventually([&] { return word(pages[1], ClockPage::kParked) == 0; }, 2000ms));
  std::this_thread::sleep_for(10ms);
  CHECK(freshNow(pages[1]));
  CHECK_EQ(word(pages[0], ClockPage::kNowMs32), frozen);
  clock->unregisterPage(&pages[1]);
}

}  // namespace

// windowStats: the whole window and its newest ceil(buckets / 4) buckets, in one row.
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
  CHECK_EQ(row[kStatRecent + 0], 4.0);   // epochs 105 and 106 only
  CHECK_EQ(row[kStatRecent + 1], 2.0);
  CHECK_EQ(row[kStatRecent + 2], 2.0);
  // The recent samples are the slow ones (8 and 64 ms); the window's median is still 1 ms.
  CHECK(row[kStatRecent + 6] > 7000 && row[kStatRecent + 6] < 9000);
  CHECK(row[kStatRecent + 8] > 57000 && row[kStatWindow + 6] < 1200);
}

// preOpen: only a CLOSED circuit opens, for the given period, with reason Predicted; then it
// recovers through half-open as after a trip.
void preOpenPredicted() {
  TestArena arena;
  Options options;
  options.applyTo(arena.slot());
  BreakerSlot slot = arena.breaker();
  arena.setNowUs(50 * kSecondUs);
  CHECK(isTransition(slot.preOpen(2000), State::Closed, State::Open, Reason::Predicted, 1));
  CHECK_EQ(snap(arena)[kSnapRemainingMs], 2000.0);
  CHECK_EQ(snap(arena)[kSnapTotalOpens], 1.0);
  CHECK(!slot.preOpen(2000).happened);  // already open
  arena.advanceMs(1999);
  CHECK(!slot.admit().admitted);
  arena.advanceMs(1);
  CHECK(slot.admit().admitted);  // the probe
  CHECK_EQ(snap(arena)[kSnapState], double(State::HalfOpen));
  CHECK(!slot.preOpen(1000).happened);  // half-open: left to its probes
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

int main() {
  histogramBins();
  histogramPercentiles();
  words();
  serialTime();
  openPeriods();
  arenaValidation();
  timeWindow();
  histogramGroupMarks();
  countWindow();
  configureClampsAndClears();
  tripByConsecutiveFailures();
  halfOpenProbes();
  halfOpenWordAheadOfAStillStateWord();
  halfOpenTimeoutAndIgnoredProbe();
  staleGenerationsMoveNothing();
  tripByRates();
  manualOperations();
  restore();
  historyRing();
  deadlinesAcrossTheWrap();
  jitteredTrip();
  windowStatsRow();
  preOpenPredicted();
  arenaWithoutHistograms();
  coarseClock();
  return finish("unit");
}
