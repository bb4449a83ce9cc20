// A slot's life beyond single calls: deadlines after weeks of idling, giving a slot back to a
// new owner (epoch and generation), and successes counted in per-thread lanes.
#include <algorithm>
#include <cstdint>
#include <thread>
#include <vector>

#include "check.h"
#include "core/breaker_slot.h"
#include "core/clock.h"
#include "core/lanes.h"
#include "core/slot_inspect.h"
#include "core/words.h"
#include "test_arena.h"

namespace {

using namespace breakwater;
using namespace breakwater::test;

constexpr int64_t kDayMs = 24 * 3600 * 1000;

// Trips the slot with one failure (failureThreshold 1, recovery 60 s).
BreakerSlot tripped(TestArena& arena, int64_t startMs) {
  Options options;
  options.failureThreshold = 1;
  options.recoveryTimeoutMs = 60000;
  options.applyTo(arena.slot());
  arena.setNowUs(startMs * 1000);
  BreakerSlot slot = arena.breaker();
  const AdmitResult admitted = slot.admit();
  CHECK(slot.record(admitted.generation, Outcome::Failure, 1, -1).to == State::Open);
  return slot;
}

// An open circuit admits a probe once its period is over, however long it sat idle: the serial
// 32-bit comparison alone would call the deadline ahead again after 24.9 days.
void idleOpenCircuitProbes() {
  for (const int64_t idleMs : {int64_t{25} * kDayMs, (int64_t{1} << 32) - 30000,
                               (int64_t{1} << 32) + 1000, int64_t{400} * kDayMs}) {
    TestArena arena;
    BreakerSlot slot = tripped(arena, 5000);
    CHECK_EQ(slot.remainingMs(), 60000u);
    arena.advanceMs(idleMs);
    CHECK_EQ(snap(arena)[kSnapRemainingMs], 0.0);
    CHECK_EQ(slot.remainingMs(), 0u);
    const AdmitResult probe = slot.admit();
    CHECK(probe.admitted);
    CHECK(probe.transition.reason == Reason::RecoveryTimeout);
  }
  // Still exact while the period runs.
  TestArena arena;
  BreakerSlot slot = tripped(arena, (int64_t{1} << 32) - 10);
  arena.advanceMs(59999);
  CHECK_EQ(slot.remainingMs(), 1u);
  CHECK(!slot.admit().admitted);
  arena.advanceMs(1);
  CHECK(slot.admit().admitted);
}

// A half-open circuit with a timeout, idle for weeks, reopens on the next call as it would have
// on time, instead of waiting out a wrapped deadline with its probes taken.
void idleHalfOpenCircuitTimesOut() {
  TestArena arena;
  Options options;
  options.failureThreshold = 1;
  options.recoveryTimeoutMs = 1000;
  options.halfOpenTimeoutMs = 5000;
  options.applyTo(arena.slot());
  BreakerSlot slot = arena.breaker();
  CHECK(slot.record(slot.admit().generation, Outcome::Failure, 1, -1).happened);
  arena.advanceMs(1000);
  CHECK(slot.admit().admitted);  // the one probe, never answered
  arena.advanceMs(30 * kDayMs);
  const AdmitResult next = slot.admit();
  CHECK(!next.admitted);
  CHECK(next.transition.reason == Reason::HalfOpenTimeout);
}

void releaseBumpsEpochAndGeneration() {
  TestArena arena(2);
  BreakerSlot slot = tripped(arena, 0);
  const uint32_t generation = StateWord::decode(arena.slot().header->stateWord).generation;
  CHECK_EQ(slot.release(), 1u);
  SlotHeader& header = *arena.slot().header;
  const StateWord w = StateWord::decode(header.stateWord);
  CHECK(w.state == State::Closed);
  CHECK_EQ(w.generation, generation + 1);
  CHECK_EQ(header.epoch, 1u);
  const Snapshot s = snap(arena);
  CHECK_EQ(s[kSnapTotalCalls], 0.0);
  CHECK_EQ(s[kSnapTotalOpens], 0.0);
  CHECK_EQ(s[kSnapTransitionSequence], 0.0);
  CHECK_EQ(header.config.failureThreshold, 0u);
  CHECK_EQ(slot.release(), 2u);
  CHECK_EQ(arena.slot(1).header->epoch, 0u);  // the neighbour is untouched
}

void lanesAreTotals() {
  TestArena arena;
  Options options;
  options.applyTo(arena.slot());
  BreakerSlot slot = arena.breaker();
  SlotHeader& header = *arena.slot().header;
  header.lanes[0] = 300;
  header.lanes[5] = 12;
  CHECK_EQ(snap(arena)[kSnapTotalCalls], 312.0);
  CHECK_EQ(snap(arena)[kSnapTotalSuccesses], 312.0);
  CHECK_EQ(snap(arena)[kSnapWindowSuccesses], 0.0);
  // Folding counted successes fills the window, not the totals again.
  CHECK(!slot.record(0, Outcome::CountedSuccess, 312, 2000).happened);
  CHECK_EQ(snap(arena)[kSnapTotalCalls], 312.0);
  CHECK_EQ(snap(arena)[kSnapWindowSuccesses], 312.0);
  CHECK_EQ(snap(arena)[kSnapLatencySamples], 1.0);
  slot.reset();
  CHECK_EQ(snap(arena)[kSnapTotalCalls], 0.0);
  header.lanes[5] += 3;
  CHECK_EQ(snap(arena)[kSnapTotalSuccesses], 3.0);
}

// Lanes written by their owner threads while another thread reads: the reader sees every count
// once the writers are done (run under TSan with the native tests).
void lanesUnderConcurrentReads() {
  TestArena arena;
  Options options;
  options.applyTo(arena.slot());
  SlotHeader& header = *arena.slot().header;
  constexpr int kPerThread = 100000;
  std::vector<std::thread> writers;
  for (uint32_t lane = 0; lane < 4; ++lane) {
    writers.emplace_back([&header, lane] {
      for (int i = 0; i < kPerThread; ++i) {
        relaxedStore(header.lanes[lane], relaxedLoad(header.lanes[lane]) + 1);
      }
    });
  }
  double seen = 0;
  for (int i = 0; i < 1000; ++i) seen = std::max(seen, double(laneSuccesses(header)));
  for (std::thread& writer : writers) writer.join();
  CHECK(seen <= 4.0 * kPerThread);
  CHECK_EQ(laneSuccesses(header), uint64_t{4} * kPerThread);
}

// Threads claim distinct lanes, at most 16; a released lane goes to the next claimer.
void laneClaims() {
  TestArena arena;
  std::vector<int32_t> claimed(24, -2);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < claimed.size(); ++i) {
    threads.emplace_back([&arena, &claimed, i] { claimed[i] = arena.arena().claimLane(); });
  }
  for (std::thread& thread : threads) thread.join();
  std::vector<int32_t> lanes;
  for (int32_t lane : claimed) {
    if (lane >= 0) lanes.push_back(lane);
  }
  std::sort(lanes.begin(), lanes.end());
  CHECK_EQ(lanes.size(), size_t{layout::kLanes});
  CHECK(std::unique(lanes.begin(), lanes.end()) == lanes.end());
  CHECK_EQ(arena.arena().claimLane(), -1);
  arena.arena().releaseLane(5);
  CHECK_EQ(arena.arena().claimLane(), 5);
}

}  // namespace

int main() {
  idleOpenCircuitProbes();
  idleHalfOpenCircuitTimesOut();
  releaseBumpsEpochAndGeneration();
  lanesAreTotals();
  lanesUnderConcurrentReads();
  laneClaims();
  return breakwater::test::finish("lifetime");
}
