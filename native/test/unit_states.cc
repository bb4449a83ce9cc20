// Deterministic checks of the state machine, its words, deadlines and open periods against LAYOUT.md.
#include <algorithm>
#include <cmath>
#include <cstdint>
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

// A probe whose holder ended: given back while its round is on, as an ignored call; a probe of
// an older round, or one given back after its round ended, changes nothing.
void probeGivenBack() {
  TestArena arena;
  Options options;
  options.failureThreshold = 1;
  options.recoveryTimeoutMs = 100;
  options.applyTo(arena.slot());
  BreakerSlot slot = arena.breaker();

  call(slot, Outcome::Failure);
  CHECK(!slot.admit().probe);  // open: refused, no probe
  arena.advanceMs(100);
  const AdmitResult probe = slot.admit();
  CHECK(probe.admitted && probe.probe && probe.generation == 2);
  CHECK(!slot.admit().admitted);
  slot.giveBackProbe(1);  // an older round's: nothing
  CHECK(!slot.admit().admitted);
  CHECK_EQ(snap(arena)[kSnapTotalIgnored], 0.0);
  slot.giveBackProbe(2);
  CHECK_EQ(snap(arena)[kSnapTotalIgnored], 1.0);
  const AdmitResult next = slot.admit();
  CHECK(next.admitted && next.probe);
  CHECK(isTransition(slot.record(2, Outcome::Success, 1, -1), State::HalfOpen, State::Closed,
                     Reason::ProbeSuccess, 3));
  slot.giveBackProbe(2);  // its round is over: nothing
  CHECK_EQ(snap(arena)[kSnapTotalIgnored], 1.0);
  const AdmitResult closed = slot.admit();
  CHECK(closed.admitted && !closed.probe);
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

}  // namespace

void breakwater::test::stateChecks() {
  words();
  serialTime();
  openPeriods();
  arenaValidation();
  tripByConsecutiveFailures();
  halfOpenProbes();
  halfOpenWordAheadOfAStillStateWord();
  halfOpenTimeoutAndIgnoredProbe();
  probeGivenBack();
  staleGenerationsMoveNothing();
  tripByRates();
  manualOperations();
  restore();
  historyRing();
  deadlinesAcrossTheWrap();
  jitteredTrip();
  preOpenPredicted();
}
