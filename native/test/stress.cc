// Eight threads hammer one slot while the main thread drives a manual clock through healthy and
// sick phases (and the odd manual operation), taking the breaker through many trips and
// recoveries. Afterwards every answer the threads got is reconciled with the slot:
//   - totals equal the sums of what the threads recorded and were refused;
//   - the transitions returned to callers are exactly the slot's transitions: one per
//     generation 1..N, chained from-state to to-state, each legal for the operation that
//     reported it, and ->OPEN ones matching the opens counter;
//   - generations never go backwards for any thread;
//   - no outcome from an older generation moved the state: a transition reported by record()
//     always starts from the generation the call was admitted in, and deliberately stale
//     records never move anything;
//   - no half-open period lets through more probes than configured (plus probes given back);
//   - the window never holds more than the totals, and the history ring matches the chain.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <random>
#include <thread>
#include <vector>

#include "check.h"
#include "core/breaker_slot.h"
#include "core/slot_inspect.h"
#include "core/words.h"
#include "test_arena.h"

namespace {

using namespace breakwater;
using namespace breakwater::test;

constexpr int kWorkers = 8;
constexpr int64_t kScenarioMs = 1200;
constexpr int64_t kPhaseMs = 40;          // healthy and sick phases alternate
constexpr int64_t kManualEveryMs = 200;   // force open or disable, then close 10 ms later
constexpr int64_t kSlowCallMs = 1;

enum class Source { Admit, Record, Manual };

struct Scenario {
  const char* name;
  Options options;
  Reason expectedTrip;
  bool sickMeansSlow;    // a sick dependency mostly answers slowly rather than failing
  bool ignoresOutcomes;  // some calls end as "ignored"
};

struct Seen {
  Transition transition;
  Source source;
};

struct WorkerLog {
  uint64_t calls = 0, successes = 0, failures = 0, timeouts = 0, ignored = 0, slowCalls = 0;
  uint64_t rejections = 0;
  std::vector<Seen> transitions;
  std::vector<uint32_t> admittedIn;  // by generation
  std::vector<uint32_t> ignoredIn;   // by generation
  bool generationWentBack = false;
  bool recordMovedOtherGeneration = false;
  bool staleRecordMoved = false;

  void note(const Transition& t, Source source) {
    if (t.happened) transitions.push_back({t, source});
  }

  static void countIn(std::vector<uint32_t>& byGeneration, uint32_t generation) {
    if (byGeneration.size() <= generation) byGeneration.resize(generation + 1);
    ++byGeneration[generation];
  }

  void account(Outcome outcome, uint32_t count, int64_t latencyUs, int64_t slowAfterUs) {
    calls += count;
    if (outcome == Outcome::Success) successes += count;
    if (outcome == Outcome::Failure || outcome == Outcome::Timeout) failures += count;
    if (outcome == Outcome::Timeout) timeouts += count;
    if (outcome == Outcome::Ignored) ignored += count;
    if (slowAfterUs > 0 && latencyUs >= slowAfterUs) ++slowCalls;
  }
};

struct Shared {
  std::atomic<bool> stop{false};
  std::atomic<bool> sick{false};
};

Outcome pickOutcome(std::mt19937& rng, bool sick, const Scenario& scenario) {
  const uint32_t roll = rng() % 100;
  if (scenario.ignoresOutcomes && roll < 4) return Outcome::Ignored;
  const uint32_t failPercent = !sick ? 3 : scenario.sickMeansSlow ? 15 : 65;
  if (roll >= 100 - failPercent / 5) return Outcome::Timeout;
  if (roll >= 100 - failPercent) return Outcome::Failure;
  return Outcome::Success;
}

int64_t pickLatencyUs(std::mt19937& rng, bool sick, const Scenario& scenario) {
  if (rng() % 10 == 0) return -1;  // not measured
  if (sick && scenario.sickMeansSlow && rng() % 100 < 85) return 2000 + rng() % 3000;
  return 50 + rng() % 900;
}

void work(BreakerSlot slot, const Scenario& scenario, Shared& shared, WorkerLog& log,
          uint32_t seed) {
  std::mt19937 rng(seed);
  const auto slowAfterUs = int64_t(scenario.options.slowCallDurationMs * 1000);
  uint32_t lastGeneration = 0;
  while (!shared.stop.load(std::memory_order_relaxed)) {
    const AdmitResult admitted = slot.admit();
    log.note(admitted.transition, Source::Admit);
    log.generationWentBack |= admitted.generation < lastGeneration;
    lastGeneration = admitted.generation;
    if (!admitted.admitted) {
      ++log.rejections;
      if (rng() % 16 == 0) {  // rejections decided in JavaScript, folded in later
        slot.rejected(2);
        log.rejections += 2;
      }
      continue;
    }
    const uint32_t generation = admitted.generation;
    WorkerLog::countIn(log.admittedIn, generation);

    const bool sick = shared.sick.load(std::memory_order_relaxed);
    const Outcome outcome = pickOutcome(rng, sick, scenario);
    const uint32_t count = outcome == Outcome::Success ? 1 + rng() % 3 : 1;
    const int64_t latencyUs = pickLatencyUs(rng, sick, scenario);
    if (outcome == Outcome::Ignored) WorkerLog::countIn(log.ignoredIn, generation);
    log.account(outcome, count, latencyUs, slowAfterUs);
    const Transition moved = slot.record(generation, outcome, count, latencyUs);
    log.note(moved, Source::Record);
    log.recordMovedOtherGeneration |=
        moved.happened && moved.newGeneration != nextGeneration(generation);

    if (generation > 0 && rng() % 32 == 0) {  // an answer arriving after its generation ended
      log.account(Outcome::Failure, 1, -1, slowAfterUs);
      const Transition stale = slot.record(generation - 1, Outcome::Failure, 1, -1);
      log.note(stale, Source::Record);
      log.staleRecordMoved |= stale.happened;
    }
  }
}

bool isLegal(const Seen& seen) {
  const Transition& t = seen.transition;
  const auto is = [&](State from, State to) { return t.from == from && t.to == to; };
  switch (t.reason) {
    case Reason::ConsecutiveFailures:
    case Reason::FailureRate:
    case Reason::SlowCallRate:
      return seen.source == Source::Record && is(State::Closed, State::Open);
    case Reason::RecoveryTimeout:
      return seen.source == Source::Admit && is(State::Open, State::HalfOpen);
    case Reason::ProbeSuccess:
      return seen.source == Source::Record && is(State::HalfOpen, State::Closed);
    case Reason::ProbeFailure:
      return seen.source == Source::Record && is(State::HalfOpen, State::Open);
    case Reason::HalfOpenTimeout:
      return seen.source == Source::Admit && is(State::HalfOpen, State::Open);
    case Reason::ForceOpen:
      return seen.source == Source::Manual && t.to == State::ForcedOpen && t.from != t.to;
    case Reason::Disable:
      return seen.source == Source::Manual && t.to == State::Disabled && t.from != t.to;
    case Reason::ManualClose:
      return seen.source == Source::Manual && t.to == State::Closed && t.from != t.to;
    default:
      return false;
  }
}

// Drives the clock and the phases; manual operations are logged like any caller's.
void driveClock(TestArena& arena, BreakerSlot slot, Shared& shared, WorkerLog& log) {
  for (int64_t ms = 1; ms <= kScenarioMs; ++ms) {
    arena.advanceMs(1);
    if (ms % kPhaseMs == 0) shared.sick.store(!shared.sick.load());
    if (ms % kManualEveryMs == 0) {
      log.note(ms % (2 * kManualEveryMs) == 0 ? slot.forceOpen() : slot.disable(),
               Source::Manual);
    } else if (ms % kManualEveryMs == 10) {
      log.note(slot.close(), Source::Manual);
    }
    std::this_thread::sleep_for(std::chrono::microseconds(30));
  }
  shared.stop.store(true);
}

void runScenario(const Scenario& scenario, uint32_t seed) {
  TestArena arena(1, 16);
  arena.setNowUs(1000 * 1000);
  scenario.options.applyTo(arena.slot());
  BreakerSlot slot = arena.breaker();

  Shared shared;
  std::vector<WorkerLog> logs(kWorkers + 1);  // the last one is the clock thread's
  std::vector<std::thread> workers;
  for (int i = 0; i < kWorkers; ++i) {
    workers.emplace_back(work, slot, std::cref(scenario), std::ref(shared), std::ref(logs[i]),
                         seed + uint32_t(i));
  }
  driveClock(arena, slot, shared, logs[kWorkers]);
  for (std::thread& worker : workers) worker.join();

  // Everything the callers saw, summed.
  WorkerLog sum;
  std::vector<Seen> seen;
  std::vector<uint32_t> admittedIn, ignoredIn;
  const auto addInto = [](std::vector<uint32_t>& into, const std::vector<uint32_t>& from) {
    if (into.size() < from.size()) into.resize(from.size());
    for (size_t g = 0; g < from.size(); ++g) into[g] += from[g];
  };
  for (const WorkerLog& log : logs) {
    sum.calls += log.calls;
    sum.successes += log.successes;
    sum.failures += log.failures;
    sum.timeouts += log.timeouts;
    sum.ignored += log.ignored;
    sum.slowCalls += log.slowCalls;
    sum.rejections += log.rejections;
    sum.generationWentBack |= log.generationWentBack;
    sum.recordMovedOtherGeneration |= log.recordMovedOtherGeneration;
    sum.staleRecordMoved |= log.staleRecordMoved;
    seen.insert(seen.end(), log.transitions.begin(), log.transitions.end());
    addInto(admittedIn, log.admittedIn);
    addInto(ignoredIn, log.ignoredIn);
  }

  std::printf("  %-20s %6zu transitions, %8llu calls, %8llu rejections\n", scenario.name,
              seen.size(), static_cast<unsigned long long>(sum.calls),
              static_cast<unsigned long long>(sum.rejections));

  // Totals are exact.
  const Totals& totals = arena.slot().header->totals;
  CHECK_EQ(totals.calls, sum.calls);
  CHECK_EQ(totals.successes, sum.successes);
  CHECK_EQ(totals.failures, sum.failures);
  CHECK_EQ(totals.timeouts, sum.timeouts);
  CHECK_EQ(totals.ignored, sum.ignored);
  CHECK_EQ(totals.slowCalls, sum.slowCalls);
  CHECK_EQ(totals.rejections, sum.rejections);

  // Every transition was reported exactly once, one per generation, in a consistent chain.
  const SlotHeader& header = *arena.slot().header;
  CHECK_EQ(seen.size(), header.transitionSequence);
  std::sort(seen.begin(), seen.end(), [](const Seen& a, const Seen& b) {
    return a.transition.newGeneration < b.transition.newGeneration;
  });
  bool chained = true, legal = true;
  State state = State::Closed;
  for (size_t i = 0; i < seen.size(); ++i) {
    const Transition& t = seen[i].transition;
    chained = chained && t.newGeneration == i + 1 && t.from == state;
    legal = legal && isLegal(seen[i]);
    state = t.to;
  }
  CHECK(chained);
  CHECK(legal);
  const StateWord last = StateWord::decode(header.stateWord);
  CHECK(last.state == state && last.generation == seen.size());
  const auto countOf = [&](auto predicate) {
    return uint64_t(std::count_if(seen.begin(), seen.end(), predicate));
  };
  CHECK_EQ(totals.opens, countOf([](const Seen& s) { return s.transition.to == State::Open; }));

  CHECK(!sum.generationWentBack);
  CHECK(!sum.recordMovedOtherGeneration);
  CHECK(!sum.staleRecordMoved);

  // No half-open period admitted more probes than allowed, net of probes given back.
  bool probesWithinBudget = true;
  for (const Seen& s : seen) {
    const uint32_t g = s.transition.newGeneration;
    if (s.transition.to != State::HalfOpen || g >= admittedIn.size()) continue;
    const uint32_t givenBack = g < ignoredIn.size() ? ignoredIn[g] : 0;
    probesWithinBudget = probesWithinBudget &&
                         admittedIn[g] <= uint32_t(scenario.options.halfOpenMaxCalls) + givenBack;
  }
  CHECK(probesWithinBudget);

  // The window is a subset of the totals.
  double snapshotFields[kSnapshotFieldCount];
  snapshot(arena.slot(), arena.arena().clock(), snapshotFields);
  bool windowWithinTotals = true;
  for (size_t i = 0; i < 6; ++i) {
    windowWithinTotals = windowWithinTotals &&
                         snapshotFields[kSnapWindowCalls + i] <= snapshotFields[kSnapTotalCalls + i];
  }
  CHECK(windowWithinTotals);

  // The history ring holds the last transitions in the order their winners took a sequence
  // number. A winner that stalls between its CAS and taking its number (descheduled: TSAN on a
  // loaded machine) writes its entry after later transitions, so an entry's age has no bound; each
  // entry is still a transition of the chain, and appears once.
  double rows[layout::kHistoryEntries * kHistoryEntryFields];
  const uint32_t kept = history(arena.slot(), rows, layout::kHistoryEntries);
  bool historyMatches = kept == std::min<size_t>(seen.size(), layout::kHistoryEntries);
  std::vector<uint32_t> keptGenerations;
  for (uint32_t i = 0; i < kept && historyMatches; ++i) {
    const double* row = rows + i * kHistoryEntryFields;
    const auto generation = uint32_t(row[4]);
    const bool repeated =
        std::find(keptGenerations.begin(), keptGenerations.end(), generation) != keptGenerations.end();
    historyMatches = generation >= 1 && generation <= seen.size() && !repeated;
    if (!historyMatches) break;
    keptGenerations.push_back(generation);
    const Transition& t = seen[generation - 1].transition;
    historyMatches = row[1] == double(t.from) && row[2] == double(t.to) && row[3] == double(t.reason);
  }
  CHECK(historyMatches);

  // The run exercised what it was meant to.
  CHECK(countOf([&](const Seen& s) { return s.transition.reason == scenario.expectedTrip; }) >= 3);
  CHECK(countOf([](const Seen& s) { return s.transition.reason == Reason::ProbeSuccess; }) >= 2);
  CHECK(countOf([](const Seen& s) {
          return s.transition.reason == Reason::ProbeFailure ||
                 s.transition.reason == Reason::HalfOpenTimeout;
        }) >= 1);
}

std::vector<Scenario> scenarios() {
  Options consecutive;
  consecutive.failureThreshold = 5;
  consecutive.buckets = 4;
  consecutive.windowSize = 200;
  consecutive.recoveryTimeoutMs = 3;
  consecutive.maxRecoveryTimeoutMs = 12;
  consecutive.backoffFactor = 2;
  consecutive.jitter = 0.3;
  consecutive.halfOpenMaxCalls = 4;
  consecutive.halfOpenSuccessThreshold = 3;
  consecutive.halfOpenTimeoutMs = 8;

  Options timeRate;
  timeRate.failureRateThreshold = 0.5;
  timeRate.minimumCalls = 20;
  timeRate.buckets = 5;
  timeRate.windowSize = 50;
  timeRate.recoveryTimeoutMs = 4;
  timeRate.halfOpenMaxCalls = 3;
  timeRate.halfOpenSuccessThreshold = 2;

  Options countRate = timeRate;
  countRate.windowType = 1;
  countRate.buckets = 10;
  countRate.windowSize = 400;
  countRate.failureRateThreshold = 0.4;
  countRate.minimumCalls = 40;
  countRate.recoveryTimeoutMs = 2;
  countRate.halfOpenMaxCalls = 6;
  countRate.halfOpenSuccessThreshold = 4;
  countRate.halfOpenTimeoutMs = 6;

  Options slow = timeRate;
  slow.failureRateThreshold = 0;
  // A record of n successes counts one slow call, so with batches of 1..3 the slow rate of a
  // sick phase is about 0.4.
  slow.slowCallRateThreshold = 0.25;
  slow.slowCallDurationMs = kSlowCallMs;

  return {
      {"consecutive", consecutive, Reason::ConsecutiveFailures, false, false},
      {"failure-rate/time", timeRate, Reason::FailureRate, false, true},
      {"failure-rate/count", countRate, Reason::FailureRate, false, true},
      {"slow-call-rate", slow, Reason::SlowCallRate, true, false},
  };
}

}  // namespace

int main() {
  uint32_t seed = 1;
  for (const Scenario& scenario : scenarios()) {
    runScenario(scenario, seed);
    seed += 100;
  }
  return finish("stress");
}
