// The circuit-breaker state machine of one slot (LAYOUT.md "Transitions" and "Operations").
//
// Lock-free: every state change is one CAS on the state word, which carries the generation,
// so a CAS that loses a race always loses to a newer generation. Only the winner performs a
// transition's side effects and reports it. admit, record and rejected never lock, allocate or
// make a system call other than reading the clock, and only read the clock when they need it.
#pragma once

#include <algorithm>
#include <cstdint>

#include "arena.h"
#include "atomic_ref.h"
#include "clock.h"
#include "deadline.h"
#include "histogram.h"
#include "lanes.h"
#include "layout.h"
#include "open_period.h"
#include "window.h"
#include "words.h"

namespace breakwater {

struct Transition {
  bool happened = false;
  State from = State::Closed;
  State to = State::Closed;
  Reason reason = Reason::None;
  uint32_t newGeneration = 0;
};

struct AdmitResult {
  bool admitted;
  // The generation the decision was made in; record() takes it back. A rejection that moved
  // the circuit reports the generation it moved to.
  uint32_t generation;
  Transition transition;
  bool probe = false;  // admitted as a half-open probe: its record() ends it
};

class BreakerSlot {
 public:
  BreakerSlot(SlotRef slot, ArenaClock clock) noexcept
      : slot_(slot), header_(*slot.header), config_(slot.header->config), clock_(clock) {}

  AdmitResult admit() noexcept {
    LazyNow now(clock_);
    Transition moved;
    for (;;) {
      const uint64_t word = loadState();
      const StateWord w = StateWord::decode(word);
      switch (w.state) {
        case State::Closed:
        case State::Disabled:
          return {true, w.generation, moved};
        case State::Open: {
          // One transition per operation: a circuit that reopened under us waits for the next call.
          if (moved.happened || !reached(header_, w, now)) break;
          const uint32_t timeout = halfOpenTimeoutMs();
          moved = tryTransition(word, State::HalfOpen, timeout ? now.ms32() + timeout : 0,
                                Reason::RecoveryTimeout, now);
          continue;  // the caller may get a probe
        }
        case State::HalfOpen: {
          if (halfOpenTimeoutMs() > 0 && reached(header_, w, now)) {
            if (moved.happened) break;
            moved = tryReopen(word, Reason::HalfOpenTimeout, now);
            if (moved.happened) return reject({false, moved.newGeneration, moved}, now);
            continue;
          }
          const ProbeTicket ticket = takeProbe(w.generation, now);
          if (ticket == ProbeTicket::Granted) return {true, w.generation, moved, true};
          if (ticket == ProbeTicket::Retry) continue;
          // Every probe is out, the newest for longer than the call timeout: a live holder's call
          // would have timed out and reopened the circuit by now, so its holder died (a process
          // killed, a thread terminated) or stopped. Reopen as the probe's timeout would have.
          if (ticket == ProbeTicket::Exhausted && probesOverdue(now)) {
            if (moved.happened) break;
            moved = tryReopen(word, Reason::HalfOpenTimeout, now);
            if (moved.happened) return reject({false, moved.newGeneration, moved}, now);
            continue;
          }
          // A newer half-open word means the state word moved on; one that did not move was
          // written outside the core (the arena is shared memory): refuse, never wait for it.
          if (ticket == ProbeTicket::Stale && loadState() != word) continue;
          break;
        }
        default:  // FORCED_OPEN, and any state value this version does not know
          break;
      }
      return reject({false, w.generation, moved}, now);
    }
  }

  // `count` is 1 unless the outcome is a success; a count of 0 records nothing. Counted
  // successes are already in their lanes: they skip the call and success totals.
  Transition record(uint32_t generation, Outcome outcome, uint32_t count,
                    int64_t latencyUs) noexcept {
    if (count == 0) return {};
    LazyNow now(clock_);
    const bool inLanes = outcome == Outcome::CountedSuccess;
    const uint64_t slowAfterUs = relaxedLoad(config_.slowCallDurationUs);
    const CallBatch batch{inLanes ? Outcome::Success : outcome, count,
                          latencyUs >= 0 && slowAfterUs > 0 && uint64_t(latencyUs) >= slowAfterUs,
                          latencyUs};
    addTotals(batch, inLanes);
    SlotWindow window(slot_, now);
    window.addCalls(batch);

    const uint64_t word = loadState();
    const StateWord w = StateWord::decode(word);
    if (w.generation != generation) return {};  // an older generation moves nothing
    switch (w.state) {
      case State::Closed: return recordClosed(word, batch, window, now);
      case State::HalfOpen: return recordHalfOpen(word, batch, now);
      default: return {};
    }
  }

  // A probe of `generation` whose holder is gone (its thread ended mid-call), given back as an
  // ignored call while its round is still on, so the next caller probes instead.
  void giveBackProbe(uint32_t generation) noexcept {
    const StateWord w = StateWord::decode(loadState());
    if (w.state == State::HalfOpen && w.generation == generation) record(generation, Outcome::Ignored, 1, -1);
  }

  // Rejections JavaScript decided itself (fast path on an OPEN circuit), folded in.
  void rejected(uint32_t count) noexcept {
    if (count == 0) return;
    LazyNow now(clock_);
    addRejections(count, now);
  }

  Transition forceOpen() noexcept { return moveTo(State::ForcedOpen, Reason::ForceOpen); }

  // Ms until the state's deadline (OPEN, or HALF_OPEN with a timeout); 0 once reached or none.
  uint32_t remainingMs() noexcept {
    LazyNow now(clock_);
    return remainingMsOfState(header_, StateWord::decode(loadState()), now);
  }

  // CLOSED -> OPEN for periodMs, because the control plane predicts a trip: the usual recovery
  // (half-open probes once the period ends) follows. Nothing happens unless the circuit is CLOSED.
  Transition preOpen(uint32_t periodMs) noexcept {
    LazyNow now(clock_);
    const uint32_t period = std::min(periodMs, kMaxPeriodMs);
    for (;;) {
      const uint64_t word = loadState();
      if (StateWord::decode(word).state != State::Closed) return {};
      const Transition moved =
          tryTransition(word, State::Open, now.ms32() + period, Reason::Predicted, now);
      if (moved.happened) return moved;
    }
  }
  // The cluster's decision (cluster sync): OPEN for periodMs (a fresh deadline, from CLOSED, OPEN
  // or HALF_OPEN), or CLOSED. A circuit forced open or disabled by hand is left alone. OPEN to
  // OPEN is a transition of its own (a new generation, so the history entry confirms the new
  // deadline's full-width time), but no open: the opens total and the events leave it out.
  Transition clusterMove(State target, uint32_t periodMs) noexcept {
    LazyNow now(clock_);
    const uint32_t deadline = target == State::Open ? now.ms32() + std::min(periodMs, kMaxPeriodMs) : 0;
    for (;;) {
      const uint64_t word = loadState();
      const State current = StateWord::decode(word).state;
      if (current == State::ForcedOpen || current == State::Disabled) return {};
      if (target == State::Closed && current == State::Closed) return {};
      const Transition moved = tryTransition(word, target, deadline, Reason::Cluster, now);
      if (moved.happened) return moved;
    }
  }
  Transition disable() noexcept { return moveTo(State::Disabled, Reason::Disable); }
  // From a closed circuit too: what closing clears (the window, the failure run, the backoff)
  // is cleared, without a transition.
  Transition close() noexcept {
    const Transition moved = moveTo(State::Closed, Reason::ManualClose);
    if (!moved.happened) clearClosedPeriod();
    return moved;
  }

  Transition reset() noexcept {
    const Transition moved = moveTo(State::Closed, Reason::Reset);
    Totals& t = header_.totals;
    for (uint64_t* total : {&t.calls, &t.successes, &t.failures, &t.slowCalls, &t.timeouts,
                            &t.rejections, &t.opens, &t.ignored}) {
      relaxedStore(*total, uint64_t{0});
    }
    relaxedStore(header_.laneBaseline, laneSum(header_));
    relaxedStore(header_.consecutiveFailures, 0u);
    relaxedStore(header_.reopens, 0u);
    SlotWindow::clear(slot_);
    return moved;
  }

  // Gives the slot back for a new owner: all zero but the epoch, bumped, and the state word,
  // CLOSED in the next generation, so no fast path of an earlier owner's views matches it
  // again. Returns the new epoch. Only the owner calls it, once it stopped using the slot.
  uint32_t release() noexcept {
    const StateWord w = StateWord::decode(loadState());
    const uint32_t epoch = relaxedLoad(header_.epoch) + 1;
    zeroWords(reinterpret_cast<std::byte*>(&header_), sizeof(SlotHeader));
    zeroWords(slot_.firstBucket, size_t{slot_.maxBuckets} * slot_.bucketStride);
    relaxedStore(header_.epoch, epoch);
    atomic(header_.stateWord)
        .store(StateWord{State::Closed, nextGeneration(w.generation), 0}.encode(), kRelease);
    return epoch;
  }

  // Re-establishes a persisted state (a valid State); always a transition, even to the same
  // state. HALF_OPEN restores as OPEN. The reopen count is stored last so that restoring CLOSED keeps it (the
  // next trip then backs off from it) instead of the close side effect zeroing it.
  Transition restore(State state, uint32_t remainingMs, uint32_t reopens) noexcept {
    LazyNow now(clock_);
    const bool open = state == State::Open || state == State::HalfOpen;
    const State target = open ? State::Open : state;
    const uint32_t deadline = open ? now.ms32() + std::min(remainingMs, kMaxPeriodMs) : 0;
    for (;;) {
      const Transition moved = tryTransition(loadState(), target, deadline, Reason::Restore, now);
      if (moved.happened) {
        relaxedStore(header_.reopens, reopens);
        return moved;
      }
    }
  }

 private:
  // Retry: another call changed the half-open word first. Stale: the half-open word belongs to a
  // newer generation than the state word this call read.
  enum class ProbeTicket { Granted, Exhausted, Retry, Stale };

  uint64_t loadState() const noexcept { return atomic(header_.stateWord).load(kAcquire); }

  // Slot memory is a whole number of 8-byte words (LAYOUT.md), stored atomically for readers.
  static void zeroWords(std::byte* bytes, size_t length) noexcept {
    auto* words = reinterpret_cast<uint64_t*>(bytes);
    for (size_t i = 0; i < length / sizeof(uint64_t); ++i) relaxedStore(words[i], uint64_t{0});
  }

  uint32_t halfOpenTimeoutMs() const noexcept {
    return std::min(relaxedLoad(config_.halfOpenTimeoutMs), kMaxPeriodMs);
  }

  Backoff backoff() const noexcept {
    return {relaxedLoad(config_.recoveryTimeoutMs), relaxedLoad(config_.maxRecoveryTimeoutMs),
            relaxedLoad(config_.backoffFactor), relaxedLoad(config_.jitter)};
  }

  // The one place a state changes. Only the CAS winner performs the side effects.
  Transition tryTransition(uint64_t expected, State to, uint32_t deadline, Reason reason,
                           LazyNow& now) noexcept {
    const StateWord from = StateWord::decode(expected);
    const uint32_t generation = nextGeneration(from.generation);
    const uint64_t desired = StateWord{to, generation, deadline}.encode();
    if (!atomic(header_.stateWord).compare_exchange_strong(expected, desired, kAcqRel, kAcquire)) {
      return {};
    }
    const Transition moved{true, from.state, to, reason, generation};
    // An open circuit that stays open (clusterMove moving its deadline) is no new open.
    if (to == State::Open && from.state != State::Open) bump(header_.totals.opens, uint64_t{1});
    const uint64_t sequence = atomic(header_.transitionSequence).fetch_add(1, kRelaxed);
    HistoryEntry& entry = header_.history[sequence % layout::kHistoryEntries];
    relaxedStore(entry.atUs, now.us());
    // Released after the time: remainingMs() reads the time once it sees this generation.
    atomic(entry.transition)
        .store(TransitionWord{from.state, to, reason, generation}.encode(), kRelease);
    relaxedStore(header_.lastTransitionAtUs, now.us());
    if (to == State::Closed) clearClosedPeriod();
    return moved;
  }

  // What a closed period starts without: the failure run, the backoff and the window.
  void clearClosedPeriod() noexcept {
    relaxedStore(header_.consecutiveFailures, 0u);
    relaxedStore(header_.reopens, 0u);
    SlotWindow::clear(slot_);
  }

  // CLOSED -> OPEN, backing off from the current reopen count (0 after a clean close).
  Transition tryTrip(uint64_t word, Reason reason, LazyNow& now) noexcept {
    const uint32_t generation = nextGeneration(StateWord::decode(word).generation);
    const uint32_t period = openPeriodMs(backoff(), relaxedLoad(header_.reopens), generation);
    return tryTransition(word, State::Open, now.ms32() + period, reason, now);
  }

  // HALF_OPEN -> OPEN: one more consecutive reopen, one more backoff step.
  Transition tryReopen(uint64_t word, Reason reason, LazyNow& now) noexcept {
    const uint32_t reopens = relaxedLoad(header_.reopens) + 1;
    const uint32_t generation = nextGeneration(StateWord::decode(word).generation);
    const uint32_t period = openPeriodMs(backoff(), reopens, generation);
    const Transition moved = tryTransition(word, State::Open, now.ms32() + period, reason, now);
    if (moved.happened) relaxedStore(header_.reopens, reopens);
    return moved;
  }

  // Manual operations: retry until this call moves the circuit or finds it already there.
  Transition moveTo(State target, Reason reason) noexcept {
    LazyNow now(clock_);
    for (;;) {
      const uint64_t word = loadState();
      if (StateWord::decode(word).state == target) return {};
      const Transition moved = tryTransition(word, target, 0, reason, now);
      if (moved.happened) return moved;
    }
  }

  // A half-open word of a newer generation means our view of the state word is stale: writing
  // our generation's counters over it would hand the newer half-open period fresh probes.
  bool halfOpenWordIsNewer(uint64_t raw, uint32_t generation) const noexcept {
    return isNewerGeneration(HalfOpenWord::decode(raw).generation, generation);
  }

  // Whether the newest probe was granted at least the call timeout ago (unsigned ms32: wrong
  // only within `timeout` of each 49.7 days, and then late, never early).
  bool probesOverdue(LazyNow& now) const noexcept {
    const uint32_t timeout = relaxedLoad(config_.probeTimeoutMs);
    return timeout > 0 && now.ms32() - relaxedLoad(header_.probeGrantedMs32) >= timeout;
  }

  ProbeTicket takeProbe(uint32_t generation, LazyNow& now) noexcept {
    const uint32_t maxCalls =
        std::min(relaxedLoad(config_.halfOpenMaxCalls), HalfOpenWord::kMaxCount);
    uint64_t raw = atomic(header_.halfOpenWord).load(kAcquire);
    if (halfOpenWordIsNewer(raw, generation)) return ProbeTicket::Stale;
    const HalfOpenWord h = HalfOpenWord::decodeFor(raw, generation);
    if (h.admitted >= maxCalls) return ProbeTicket::Exhausted;
    // Stored before the grant, so whoever sees the grant (acquire) sees this time or a later one.
    relaxedStore(header_.probeGrantedMs32, now.ms32());
    const uint64_t taken = HalfOpenWord{generation, h.admitted + 1, h.successes}.encode();
    return atomic(header_.halfOpenWord).compare_exchange_strong(raw, taken, kAcqRel, kAcquire)
               ? ProbeTicket::Granted
               : ProbeTicket::Retry;
  }

  // Applies `change` to this generation's half-open counters by CAS and returns the result; a
  // change that returns false leaves the word untouched, and so does a newer generation.
  template <class Change>
  HalfOpenWord updateHalfOpen(uint32_t generation, Change change) noexcept {
    uint64_t raw = atomic(header_.halfOpenWord).load(kAcquire);
    for (;;) {
      if (halfOpenWordIsNewer(raw, generation)) return {generation, 0, 0};
      HalfOpenWord h = HalfOpenWord::decodeFor(raw, generation);
      if (!change(h)) return h;
      if (atomic(header_.halfOpenWord).compare_exchange_weak(raw, h.encode(), kAcqRel, kAcquire)) {
        return h;
      }
    }
  }

  Transition recordClosed(uint64_t word, const CallBatch& batch, SlotWindow& window,
                          LazyNow& now) noexcept {
    if (batch.outcome == Outcome::Success) {
      if (relaxedLoad(header_.consecutiveFailures) != 0) {
        relaxedStore(header_.consecutiveFailures, 0u);
      }
      if (!batch.slow || !(relaxedLoad(config_.slowCallRateThreshold) > 0)) return {};
      return slowRateExceeded(window.read()) ? tryTrip(word, Reason::SlowCallRate, now)
                                             : Transition{};
    }
    if (!batch.isFailure()) return {};
    const uint32_t consecutive = atomic(header_.consecutiveFailures).fetch_add(1, kRelaxed) + 1;
    const uint32_t threshold = relaxedLoad(config_.failureThreshold);
    if (threshold > 0 && consecutive >= threshold) {
      return tryTrip(word, Reason::ConsecutiveFailures, now);
    }
    if (!rateRulesEnabled()) return {};
    const WindowCounts counts = window.read();
    if (failureRateExceeded(counts)) return tryTrip(word, Reason::FailureRate, now);
    if (slowRateExceeded(counts)) return tryTrip(word, Reason::SlowCallRate, now);
    return {};
  }

  Transition recordHalfOpen(uint64_t word, const CallBatch& batch, LazyNow& now) noexcept {
    const uint32_t generation = StateWord::decode(word).generation;
    switch (batch.outcome) {
      case Outcome::Success:
      case Outcome::CountedSuccess: {
        const HalfOpenWord h = updateHalfOpen(generation, [&](HalfOpenWord& c) {
          c.successes = std::min(c.successes + batch.count, HalfOpenWord::kMaxCount);
          return true;
        });
        return h.successes >= relaxedLoad(config_.halfOpenSuccessThreshold)
                   ? tryTransition(word, State::Closed, 0, Reason::ProbeSuccess, now)
                   : Transition{};
      }
      case Outcome::Failure:
      case Outcome::Timeout:
        return tryReopen(word, Reason::ProbeFailure, now);
      case Outcome::Ignored:  // the call does not count as a probe: give it back
        updateHalfOpen(generation, [](HalfOpenWord& c) {
          if (c.admitted == 0) return false;
          --c.admitted;
          return true;
        });
        return {};
    }
    return {};
  }

  bool rateRulesEnabled() const noexcept {
    return relaxedLoad(config_.failureRateThreshold) > 0 ||
           relaxedLoad(config_.slowCallRateThreshold) > 0;
  }

  bool rateExceeded(uint64_t part, const WindowCounts& counts, double threshold) const noexcept {
    const uint64_t decided = counts.successes + counts.failures;
    return threshold > 0 && decided >= relaxedLoad(config_.minimumCalls) && decided > 0 &&
           double(part) / double(decided) >= threshold;
  }

  bool failureRateExceeded(const WindowCounts& counts) const noexcept {
    return rateExceeded(counts.failures, counts, relaxedLoad(config_.failureRateThreshold));
  }

  bool slowRateExceeded(const WindowCounts& counts) const noexcept {
    return rateExceeded(counts.slowCalls, counts, relaxedLoad(config_.slowCallRateThreshold));
  }

  void addTotals(const CallBatch& batch, bool inLanes) noexcept {
    Totals& totals = header_.totals;
    if (batch.slow) bump(totals.slowCalls, uint64_t{1});
    if (inLanes) return;
    bump(totals.calls, uint64_t{batch.count});
    switch (batch.outcome) {
      case Outcome::Success: bump(totals.successes, uint64_t{batch.count}); break;
      case Outcome::Failure: bump(totals.failures, uint64_t{batch.count}); break;
      case Outcome::Timeout:
        bump(totals.failures, uint64_t{batch.count});
        bump(totals.timeouts, uint64_t{batch.count});
        break;
      case Outcome::Ignored: bump(totals.ignored, uint64_t{batch.count}); break;
      case Outcome::CountedSuccess: break;
    }
  }

  void addRejections(uint32_t count, LazyNow& now) noexcept {
    bump(header_.totals.rejections, uint64_t{count});
    SlotWindow(slot_, now).addRejections(count);
  }

  AdmitResult reject(AdmitResult result, LazyNow& now) noexcept {
    addRejections(1, now);
    return result;
  }

  SlotRef slot_;
  SlotHeader& header_;
  SlotConfig& config_;
  ArenaClock clock_;
};

}  // namespace breakwater
