// The Node-API surface of breakwater. It only converts arguments and results: the state
// machine lives in native/core. Hot functions (admit, record, rejected) are plain
// napi_callbacks that read their arguments straight from argv, with the per-environment state
// bound as the function's data pointer, so a call costs no allocation and no extra lookups.
#include <napi.h>

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <utility>
#include <cstdint>
#include <optional>

#include "binding/call.h"
#include "binding/host.h"
#include "binding/layout_report.h"
#include "core/arena.h"
#include "core/breaker_slot.h"
#include "core/coarse_clock.h"
#include "core/slot_config.h"
#include "core/slot_inspect.h"

namespace {

using namespace breakwater;
using namespace breakwater::binding;

// Returns whether a transition happened (as 1/0) and reports it in scratch[1..5].
napi_value reportTransition(napi_env env, int32_t* scratch, const Transition& t) {
  scratch[kScratchTransitioned] = t.happened;
  if (t.happened) {
    scratch[kScratchFrom] = int32_t(t.from);
    scratch[kScratchTo] = int32_t(t.to);
    scratch[kScratchReason] = int32_t(t.reason);
    scratch[kScratchNewGeneration] = int32_t(t.newGeneration);
  }
  return toJs(env, uint32_t{t.happened});
}

// setScratch(int32Array)
napi_value SetScratch(napi_env env, napi_callback_info info) {
  Call<1> call(env, info);
  int32_t* scratch =
      call.typedArray<int32_t>(0, "scratch", napi_int32_array, "Int32Array", kScratchFieldCount);
  if (!scratch) return nullptr;
  EnvState& state = call.state();
  state.scratchArray = Napi::Persistent(Napi::Value(env, call[0]));
  state.scratch = scratch;
  return nullptr;
}

bool isSharedArrayBuffer(napi_env env, napi_value value) {
  napi_value global, constructor;
  bool result = false;
  return napi_get_global(env, &global) == napi_ok &&
         napi_get_named_property(env, global, "SharedArrayBuffer", &constructor) == napi_ok &&
         napi_instanceof(env, value, constructor, &result) == napi_ok && result;
}

// The memory of a SharedArrayBuffer. Node-API before v10 has no accessor for it, so it goes
// through a Uint8Array view. A plain ArrayBuffer is refused: it can be transferred and freed
// while the core still holds its address.
bool sharedMemory(napi_env env, napi_value value, void*& data, size_t& length) {
  napi_value global, constructor, view;
  napi_typedarray_type type;
  return isSharedArrayBuffer(env, value) && napi_get_global(env, &global) == napi_ok &&
         napi_get_named_property(env, global, "Uint8Array", &constructor) == napi_ok &&
         napi_new_instance(env, constructor, 1, &value, &view) == napi_ok &&
         napi_get_typedarray_info(env, view, &type, &length, &data, nullptr, nullptr) == napi_ok;
}

// attach(buffer) -> arenaId
napi_value Attach(napi_env env, napi_callback_info info) {
  Call<1> call(env, info);
  void* data = nullptr;
  size_t length = 0;
  if (!sharedMemory(env, call[0], data, length)) {
    // A failed probe above may have left an exception pending; report ours instead.
    napi_value ignored;
    napi_get_and_clear_last_exception(env, &ignored);
    bool isArrayBuffer = false;
    napi_is_arraybuffer(env, call[0], &isArrayBuffer);
    return throwError(env, ErrorKind::Type,
                      isArrayBuffer
                          ? "attach: buffer must be a SharedArrayBuffer holding an arena, got an "
                            "ArrayBuffer (it can be transferred and freed under the core)"
                          : "attach: buffer must be a SharedArrayBuffer holding an arena");
  }
  const ArenaCheck check = Arena::validate(data, length);
  if (!check.ok()) {
    const bool wrongKind = check.problem == ArenaProblem::BadMagic ||
                           check.problem == ArenaProblem::ShorterThanHeader;
    const char* format = check.problem == ArenaProblem::BadMagic
                             ? "attach: %s (got 0x%llx, expected 0x%llx)"
                             : "attach: %s (got %llu, expected %llu)";
    return throwError(env, wrongKind ? ErrorKind::Type : ErrorKind::Range, format,
                      describe(check.problem), static_cast<unsigned long long>(check.actual),
                      static_cast<unsigned long long>(check.expected));
  }
  EnvState& state = call.state();
  state.arenas.push_back({Arena(data), Napi::Persistent(Napi::Value(env, call[0])), {}});
  return toJs(env, uint32_t(state.arenas.size() - 1));
}

// admit(arenaId, idx) -> 1 admitted / 0 rejected; scratch[0] = generation
napi_value Admit(napi_env env, napi_callback_info info) {
  Call<2> call(env, info);
  const std::optional<SlotArgs> args = call.slot();
  int32_t* scratch = args ? call.scratch() : nullptr;
  if (!scratch) return nullptr;
  AdmitResult result = args->breaker().admit();
#ifdef BREAKWATER_HOST_ARENAS
  if (host::HostArena* host = call.state().arenas[args->arenaId].host) {
    // The newest probe's holder ended with its call out (killed, or process.exit(), which skips
    // the teardown that gives a thread's probes back): give the probe back and ask again, so
    // this call may probe in its place.
    if (!result.admitted && !result.transition.happened &&
        host->takeDeadProbeHolder(args->index, [] { return uint32_t(monotonicNowUs() / 1000); })) {
      args->breaker().giveBackProbe(result.generation);
      result = args->breaker().admit();
    }
    if (result.probe) host->noteProbeHolder(args->index);
  }
#endif
  if (result.probe) {
    call.state().probes.push_back(
        {args->arenaId, args->index, relaxedLoad(args->slot().header->epoch), result.generation});
  }
  if (!args->arena->clock().isManual()) call.state().coarseClock.wake();
  scratch[kScratchGeneration] = int32_t(result.generation);
  reportTransition(env, scratch, result.transition);
  return toJs(env, uint32_t{result.admitted});
}

bool isSuccess(Outcome outcome) {
  return outcome == Outcome::Success || outcome == Outcome::CountedSuccess;
}

// record(arenaId, idx, generation, outcome, count, latencyUs) -> 1 if transitioned
napi_value Record(napi_env env, napi_callback_info info) {
  Call<6> call(env, info);
  const std::optional<SlotArgs> args = call.slot();
  int32_t generation, outcome, count;
  double latencyUs;
  if (!args || !call.int32(2, "generation", generation) ||
      !call.int32In(3, "outcome", 0, int32_t(kOutcomeCount) - 1, outcome) ||
      !call.int32In(4, "count", 1, isSuccess(Outcome(outcome)) ? INT32_MAX : 1, count) ||
      !call.number(5, "latencyUs", latencyUs)) {
    return nullptr;
  }
  int32_t* scratch = call.scratch();
  if (!scratch) return nullptr;
  // Negative or NaN: not measured. Whole microseconds, saturated far beyond the last bin.
  const int64_t latency = latencyUs >= 0 ? int64_t(latencyUs < 0x1p62 ? latencyUs : 0x1p62) : -1;
  if (!call.state().probes.empty()) call.state().probeRecorded(args->arenaId, args->index, uint32_t(generation));
  const Transition moved =
      args->breaker().record(uint32_t(generation), Outcome(outcome), uint32_t(count), latency);
  return reportTransition(env, scratch, moved);
}

// rejected(arenaId, idx, n)
napi_value Rejected(napi_env env, napi_callback_info info) {
  Call<3> call(env, info);
  const std::optional<SlotArgs> args = call.slot();
  int32_t count;
  if (!args || !call.int32In(2, "n", 0, INT32_MAX, count)) return nullptr;
  args->breaker().rejected(uint32_t(count));
  return nullptr;
}

// forceOpen / disable / close / reset (arenaId, idx) -> 1 if transitioned
template <Transition (BreakerSlot::*Operation)() noexcept>
napi_value Manual(napi_env env, napi_callback_info info) {
  Call<2> call(env, info);
  const std::optional<SlotArgs> args = call.slot();
  int32_t* scratch = args ? call.scratch() : nullptr;
  if (!scratch) return nullptr;
  BreakerSlot breaker = args->breaker();
  return reportTransition(env, scratch, (breaker.*Operation)());
}

// restore(arenaId, idx, state, remainingMs, reopens) -> 1 (restoring always transitions)
napi_value Restore(napi_env env, napi_callback_info info) {
  Call<5> call(env, info);
  const std::optional<SlotArgs> args = call.slot();
  int32_t state;
  double remainingMs, reopens;
  if (!args || !call.int32In(2, "state", 0, int32_t(kStateCount) - 1, state) ||
      !call.number(3, "remainingMs", remainingMs) || !call.number(4, "reopens", reopens)) {
    return nullptr;
  }
  if (!(remainingMs >= 0) || !(reopens >= 0 && reopens <= UINT32_MAX)) {
    return throwError(env, ErrorKind::Range,
                      "restore needs remainingMs >= 0 and reopens within 0..4294967295");
  }
  int32_t* scratch = call.scratch();
  if (!scratch) return nullptr;
  const uint32_t remaining = remainingMs < kMaxPeriodMs ? uint32_t(remainingMs) : kMaxPeriodMs;
  const Transition moved = args->breaker().restore(State(state), remaining, uint32_t(reopens));
  return reportTransition(env, scratch, moved);
}

// claimLane(arenaId) -> this thread's lane of the arena, -1 when every lane is taken; the
// environment gives it back when it is torn down
napi_value ClaimLane(napi_env env, napi_callback_info info) {
  Call<1> call(env, info);
  AttachedArena* attached = call.attachedArena(0);
  if (!attached) return nullptr;
  const int32_t lane = attached->claimLane();
  if (lane >= 0) attached->lanes.push_back(lane);
  napi_value result;
  napi_create_int32(env, lane, &result);
  return result;
}

// release(arenaId, idx) -> the slot's new epoch (the slot is zeroed for its next owner)
napi_value Release(napi_env env, napi_callback_info info) {
  Call<2> call(env, info);
  const std::optional<SlotArgs> args = call.slot();
  return args ? toJs(env, args->breaker().release()) : nullptr;
}

// remainingMs(arenaId, idx) -> ms until the state's deadline (OPEN, or HALF_OPEN with a
// timeout); 0 when reached or when the state has none
napi_value RemainingMs(napi_env env, napi_callback_info info) {
  Call<2> call(env, info);
  const std::optional<SlotArgs> args = call.slot();
  return args ? toJs(env, args->breaker().remainingMs()) : nullptr;
}

// preOpen(arenaId, idx, periodMs) -> 1 if it opened the (CLOSED) circuit
napi_value PreOpen(napi_env env, napi_callback_info info) {
  Call<3> call(env, info);
  const std::optional<SlotArgs> args = call.slot();
  int32_t periodMs;
  if (!args || !call.int32In(2, "periodMs", 0, int32_t(kMaxPeriodMs), periodMs)) return nullptr;
  int32_t* scratch = call.scratch();
  if (!scratch) return nullptr;
  return reportTransition(env, scratch, args->breaker().preOpen(uint32_t(periodMs)));
}

// clusterMove(arenaId, idx, state (CLOSED or OPEN), periodMs) -> 1 if transitioned
napi_value ClusterMove(napi_env env, napi_callback_info info) {
  Call<4> call(env, info);
  const std::optional<SlotArgs> args = call.slot();
  int32_t state, periodMs;
  if (!args || !call.int32In(2, "state", 0, int32_t(State::Open), state) ||
      !call.int32In(3, "periodMs", 0, int32_t(kMaxPeriodMs), periodMs)) {
    return nullptr;
  }
  int32_t* scratch = call.scratch();
  if (!scratch) return nullptr;
  return reportTransition(env, scratch, args->breaker().clusterMove(State(state), uint32_t(periodMs)));
}

// configure(arenaId, idx, float64Array[15])
napi_value Configure(napi_env env, napi_callback_info info) {
  Call<3> call(env, info);
  const std::optional<SlotArgs> args = call.slot();
  double* values = args ? call.float64Array(2, "config", kConfigFieldCount) : nullptr;
  if (!values) return nullptr;
  const auto& config = *reinterpret_cast<double(*)[kConfigFieldCount]>(values);
  configure(args->slot(), config);
#ifdef BREAKWATER_HOST_ARENAS
  // A host breaker's record follows its slot, for the other processes of the host.
  if (host::HostArena* host = call.attachedArena(0)->host) host->recordConfig(args->index, config);
#endif
  return nullptr;
}

// snapshot(arenaId, idx, float64Array[28])
napi_value Snapshot(napi_env env, napi_callback_info info) {
  Call<3> call(env, info);
  const std::optional<SlotArgs> args = call.slot();
  double* out = args ? call.float64Array(2, "out", kSnapshotFieldCount) : nullptr;
  if (!out) return nullptr;
  snapshot(args->slot(), args->arena->clock(),
           *reinterpret_cast<double(*)[kSnapshotFieldCount]>(out));
  return nullptr;
}

// history(arenaId, idx, float64Array[5 * k]) -> entries written (oldest first)
napi_value History(napi_env env, napi_callback_info info) {
  Call<3> call(env, info);
  const std::optional<SlotArgs> args = call.slot();
  size_t length = 0;
  double* out = args ? call.float64Array(2, "out", kHistoryEntryFields, &length) : nullptr;
  if (!out) return nullptr;
  const size_t rows = length / kHistoryEntryFields;
  return toJs(env, history(args->slot(), out, uint32_t(std::min<size_t>(rows, UINT32_MAX))));
}

// windowStats(arenaId, slots Int32Array, out Float64Array[23 * slots.length]): one row per slot,
// one crossing for every breaker of an arena.
napi_value WindowStats(napi_env env, napi_callback_info info) {
  Call<3> call(env, info);
  const Arena* arena = call.arena(0);
  size_t count = 0;
  const int32_t* slots = arena ? call.int32Array(1, "slots", &count) : nullptr;
  double* out = slots ? call.float64Array(2, "out", count * kWindowStatsFieldCount) : nullptr;
  if (!out) return nullptr;
  for (size_t i = 0; i < count; ++i) {
    if (uint32_t(slots[i]) >= arena->capacity()) {
      return throwError(env, ErrorKind::Range, "slots[%zu] = %d is out of range (capacity %u)", i,
                        slots[i], arena->capacity());
    }
  }
  LazyNow now(arena->clock());
  WindowStatsScratch scratch;
  constexpr size_t kTagsAhead = 8, kBinsAhead = 4;
  for (size_t i = 0; i < count; ++i) {
    if (i + kTagsAhead < count) prefetchSlotAndTags(arena->slot(uint32_t(slots[i + kTagsAhead])));
    if (i + kBinsAhead < count) prefetchMarkedBins(arena->slot(uint32_t(slots[i + kBinsAhead])));
    windowStats(arena->slot(uint32_t(slots[i])), now, out + i * kWindowStatsFieldCount, scratch);
  }
  return nullptr;
}

// nowUs(arenaId) -> the arena's clock in microseconds
napi_value NowUs(napi_env env, napi_callback_info info) {
  Call<1> call(env, info);
  const Arena* arena = call.arena(0);
  return arena ? toJs(env, double(arena->clock().nowUs())) : nullptr;
}

// monotonicNowUs() -> CLOCK_MONOTONIC in microseconds, and wakes a parked coarse clock so the
// clock page is fresh for the next reads.
napi_value MonotonicNowUs(napi_env env, napi_callback_info info) {
  Call<0> call(env, info);
  call.state().coarseClock.wake();
  return toJs(env, double(monotonicNowUs()));
}

// Creates this environment's Int32Array over its clock page. Where external buffers are not
// allowed, a detached copy that stays parked tells JS to always ask native code for the time.
napi_value createClockPageArray(napi_env env, EnvState& state) {
  napi_value buffer, array;
  napi_status status = napi_create_external_arraybuffer(
      env, state.clockPage.words, sizeof state.clockPage.words, nullptr, nullptr, &buffer);
  if (status == napi_ok) {
    state.coarseClock.registerPage(&state.clockPage);
    state.clockPageRegistered = true;
  } else {
    napi_value ignored;
    napi_get_and_clear_last_exception(env, &ignored);
    void* data = nullptr;
    if (napi_create_arraybuffer(env, sizeof(ClockPage::words), &data, &buffer) != napi_ok) {
      return nullptr;
    }
    static_cast<int32_t*>(data)[ClockPage::kParked] = 1;
  }
  if (napi_create_typedarray(env, napi_int32_array, 4, buffer, 0, &array) != napi_ok) {
    return nullptr;
  }
  return array;
}

// clockPage() -> Int32Array [nowMs32, parked, demand, era], the same one on every call
napi_value ClockPageArray(napi_env env, napi_callback_info info) {
  Call<0> call(env, info);
  EnvState& state = call.state();
  if (state.clockPageArray.IsEmpty()) {
    napi_value array = createClockPageArray(env, state);
    if (!array) return throwError(env, ErrorKind::Plain, "could not create the clock page");
    state.clockPageArray = Napi::Persistent(Napi::Value(env, array));
  }
  return state.clockPageArray.Value();
}

// layout() -> { name: value } for every offset, index, code and size of native/layout.json, as
// this build compiled them (layout_report.h, generated), so a test can hold the TypeScript
// constants to them.
napi_value Layout(napi_env env, napi_callback_info) {
  Napi::Env napi(env);
  Napi::Object report = Napi::Object::New(napi);
  report.Set("LAYOUT_VERSION", double(layout::kVersion));
  report.Set("MAGIC", double(layout::kMagic));
  for (const LayoutEntry& entry : kLayoutReport) report.Set(entry.name, entry.value);
  return report;
}

struct Export {
  const char* name;
  napi_callback callback;
};

constexpr Export kExports[] = {
    {"setScratch", SetScratch},
    {"attach", Attach},
    {"admit", Admit},
    {"record", Record},
    {"rejected", Rejected},
    {"forceOpen", Manual<&BreakerSlot::forceOpen>},
    {"disable", Manual<&BreakerSlot::disable>},
    {"close", Manual<&BreakerSlot::close>},
    {"reset", Manual<&BreakerSlot::reset>},
    {"restore", Restore},
    {"preOpen", PreOpen},
    {"clusterMove", ClusterMove},
    {"release", Release},
    {"claimLane", ClaimLane},
    {"remainingMs", RemainingMs},
    {"configure", Configure},
    {"snapshot", Snapshot},
    {"history", History},
    {"windowStats", WindowStats},
    {"nowUs", NowUs},
    {"clockPage", ClockPageArray},
    {"monotonicNowUs", MonotonicNowUs},
    {"layout", Layout},
    {"openHost", OpenHost},
    {"hostLookup", HostLookup},
    {"hostEntry", HostEntry},
    {"hostSyncLease", HostSyncLease},
    {"hostConfigVersions", HostConfigVersions},
    {"hostCut", HostCut},
};

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* state = new EnvState();
  env.SetInstanceData(state);  // deleted when the environment is torn down
  for (const Export& entry : kExports) {
    napi_value function;
    if (napi_create_function(env, entry.name, NAPI_AUTO_LENGTH, entry.callback, state,
                             &function) != napi_ok) {
      throwError(env, ErrorKind::Plain, "breakwater: could not create %s()", entry.name);
      return exports;
    }
    exports.Set(entry.name, function);
  }
  return exports;
}

}  // namespace

NODE_API_MODULE(breakwater, Init)
