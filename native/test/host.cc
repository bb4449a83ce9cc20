// The host arena's directory: threads racing to name the same breakers agree on one slot each,
// distinct names get distinct slots, a full directory says so, a configured slot's record is read
// whole, a reopened file keeps them, and one holder of a process at a time holds the control lease.
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "check.h"
#include "core/host_arena.h"

namespace {

using namespace breakwater;
using namespace breakwater::host;

constexpr uint32_t kCapacity = 512;
constexpr uint32_t kNames = 400;
constexpr int kThreads = 4;

double config[kConfigFieldCount] = {0, 10, 10000, 5, 10, 0.5, 0, 0, 1000, 60000, 1, 0, 1, 1, 0};

std::string keyOf(uint32_t i) { return std::string("endpoint\0name-", 14) + std::to_string(i); }

void racingThreadsAgree(HostArena& arena) {
  std::vector<std::vector<int64_t>> seen(kThreads, std::vector<int64_t>(kNames, -1));
  std::atomic<int> created{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Each thread names them in its own order, so claims collide at every point.
      for (uint32_t n = 0; n < kNames; ++n) {
        const uint32_t i = (n * 7 + uint32_t(t) * 101) % kNames;
        const std::string key = keyOf(i);
        const HostArena::Found found = arena.lookup(key.data(), key.size(), config);
        seen[t][i] = found.slot;
        if (found.created) created.fetch_add(1);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  CHECK_EQ(created.load(), int(kNames));
  std::vector<bool> used(kCapacity, false);
  for (uint32_t i = 0; i < kNames; ++i) {
    for (int t = 1; t < kThreads; ++t) CHECK_EQ(seen[t][i], seen[0][i]);
    CHECK(seen[0][i] >= 0 && seen[0][i] < int64_t(kCapacity));
    CHECK(!used[size_t(seen[0][i])]);
    used[size_t(seen[0][i])] = true;
    const char* key = nullptr;
    uint32_t length = 0;
    double stored[kConfigFieldCount];
    CHECK(arena.entryAt(uint32_t(seen[0][i]), key, length, stored));
    CHECK(std::string(key, length) == keyOf(i));
    CHECK_EQ(stored[5], 0.5);
  }
}

void fullDirectorySaysSo(HostArena& arena) {
  for (uint32_t i = kNames; i < kCapacity; ++i) {
    const std::string key = keyOf(i);
    CHECK(arena.lookup(key.data(), key.size(), config).created);
  }
  const std::string extra = keyOf(kCapacity);
  CHECK_EQ(arena.lookup(extra.data(), extra.size(), config).slot, int64_t{-1});
  const std::string known = keyOf(3);
  CHECK(arena.lookup(known.data(), known.size(), config).slot >= 0);
}

// Two writers racing on one entry's record while a reader copies it: every copy is one whole
// record (the sequence lock), each write adds 2 to the version, and a writer that died mid-write
// (the version left odd) delays the next writer, never wedges it.
void recordsStayWhole(HostArena& arena) {
  const std::string key = keyOf(3);
  const auto index = uint32_t(arena.lookup(key.data(), key.size(), config).slot);
  constexpr int kWrites = 20'000;
  double first[kConfigFieldCount], second[kConfigFieldCount];
  for (size_t i = 0; i < kConfigFieldCount; ++i) first[i] = 1.0, second[i] = 2.0;
  arena.recordConfig(index, first);  // a whole record is all ones or all twos from here on
  const uint32_t before = arena.configVersion(index);
  std::atomic<bool> writing{true};
  std::atomic<int> torn{0};
  std::thread reader([&] {
    double copy[kConfigFieldCount];
    const char* name = nullptr;
    uint32_t length = 0;
    while (writing.load()) {
      if (!arena.entryAt(index, name, length, copy)) torn.fetch_add(1);
      for (size_t i = 1; i < kConfigFieldCount; ++i) {
        if (copy[i] != copy[0]) torn.fetch_add(1);
      }
    }
  });
  std::thread writerA([&] { for (int i = 0; i < kWrites; ++i) arena.recordConfig(index, first); });
  std::thread writerB([&] { for (int i = 0; i < kWrites; ++i) arena.recordConfig(index, second); });
  writerA.join();
  writerB.join();
  writing.store(false);
  reader.join();
  CHECK_EQ(torn.load(), 0);
  CHECK_EQ(arena.configVersion(index), before + 4 * kWrites);  // 2 per record, none lost
  // A writer that died mid-write: its word stays odd, naming it, until the next writer takes over.
  const pid_t dead = fork();
  if (dead == 0) _exit(0);
  waitpid(dead, nullptr, 0);
  auto* entryBytes = arena.arenaBase() + arena.arenaByteLength() + size_t{index} * kEntryBytes;
  auto& word = *reinterpret_cast<uint64_t*>(entryBytes + offsetof(DirectoryEntry, configVersion));
  atomic(word).store((uint64_t(uint32_t(dead)) << 32) | (atomic(word).load() + 1));
  double half[kConfigFieldCount];
  const char* name = nullptr;
  uint32_t length = 0;
  CHECK(arena.entryAt(index, name, length, half));  // read as it stands, not waited on for ever
  arena.recordConfig(index, config);
  CHECK_EQ(arena.configVersion(index), before + 4 * kWrites + 2);
  double copy[kConfigFieldCount];
  CHECK(arena.entryAt(index, name, length, copy));
  CHECK_EQ(copy[5], 0.5);
}

// Two holders of one process (two registries, or two worker threads' registries) share its pid:
// one at a time holds the control lease, and the other takes it once the first stops renewing.
void oneControlHolderPerProcess(HostArena& arena) {
  constexpr uint32_t kStaleMs = 1000;
  CHECK(arena.holdSyncLease(5000, kStaleMs, 7));
  CHECK(!arena.holdSyncLease(5001, kStaleMs, 9));
  CHECK(arena.holdSyncLease(5900, kStaleMs, 7));  // renewed
  CHECK(!arena.holdSyncLease(6800, kStaleMs, 9));
  CHECK(arena.holdSyncLease(7000, kStaleMs, 9));  // 7 missed its heartbeats for more than kStaleMs
  CHECK(!arena.holdSyncLease(7001, kStaleMs, 7));
}

}  // namespace

int main() {
  char path[] = "/tmp/breakwater-host-test-XXXXXX";
  const int fd = mkstemp(path);
  CHECK(fd >= 0);
  close(fd);
  unlink(path);  // openHostArena creates it, 0600
  OpenResult opened = openHostArena(path, kCapacity, 10, layout::kHistogramBins);
  CHECK(opened.arena != nullptr && opened.created);
  if (opened.arena) {
    racingThreadsAgree(*opened.arena);
    fullDirectorySaysSo(*opened.arena);
    recordsStayWhole(*opened.arena);
    oneControlHolderPerProcess(*opened.arena);
    OpenResult again = openHostArena(path, 1, 1, 0);  // an existing file keeps its own geometry
    CHECK(again.arena == opened.arena && !again.created);
    CHECK_EQ(again.arena->arena().capacity(), kCapacity);
  }
  OpenResult missing = openHostArena("/nonexistent-folder/breakwater-x", 4, 1, 0);
  CHECK(missing.arena == nullptr && std::strstr(missing.error, "cannot open /nonexistent-folder/breakwater-x") != nullptr);
  unlink(path);
  return test::finish("host");
}
