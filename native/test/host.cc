// The host arena's directory: threads racing to name the same breakers agree on one slot each,
// distinct names get distinct slots, a full directory says so, a configured slot's record is read
// whole, a reopened file keeps them, one holder of a process at a time holds the control lease, and
// a stalled claim or config write costs 2 s by the clock, however many the directory holds.
#include <fcntl.h>
#include <sys/stat.h>
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
#include "core/host_file.h"

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


// A clock of the test's own: each pause takes 150 us of it, as a 50 us nanosleep does on a busy
// host. The waits are judged by the time they take on it, never by the number of pauses.
int64_t fakeNs = 0;
int64_t fakeNow() noexcept { return fakeNs; }
void fakePause() noexcept { fakeNs += 150'000; }
constexpr int64_t kFakePauseNs = 150'000;

HostArena& freshArena(uint32_t capacity) {
  char path[] = "/tmp/breakwater-host-stale-XXXXXX";
  const int fd = mkstemp(path);
  CHECK(fd >= 0);
  close(fd);
  unlink(path);
  OpenResult opened = openHostArena(path, capacity, 1, 0);
  CHECK(opened.arena != nullptr);
  unlink(path);  // the mapping stays
  opened.arena->setWaiting({fakeNow, fakePause});
  return *opened.arena;
}

uint64_t& entryWord(HostArena& arena, uint32_t index, size_t offset) {
  auto* bytes = arena.arenaBase() + arena.arenaByteLength() + size_t{index} * kEntryBytes;
  return *reinterpret_cast<uint64_t*>(bytes + offset);
}

// Claims left by a live process (this one: a stopped process, or a reused pid) are retired after
// 2 s of waiting in all: one call over a directory full of them takes 2 s, not 2 s an entry (it
// took 40,000 pauses an entry, 6 s each on this clock).
void stalledClaimsCostTwoSecondsInAll() {
  constexpr uint32_t kSmall = 8;
  const uint64_t stalled = kClaiming | uint64_t(uint32_t(getpid())) << 32;
  HostArena& full = freshArena(kSmall);
  const std::string first = keyOf(1);
  const auto taken = uint32_t(full.lookup(first.data(), first.size(), config).slot);
  for (uint32_t i = 0; i < kSmall; ++i) {
    if (i != taken) atomic(entryWord(full, i, 0)).store(stalled);
  }
  const std::string second = keyOf(2);
  int64_t start = fakeNs;
  CHECK_EQ(full.lookup(second.data(), second.size(), config).slot, int64_t{-1});  // all retired: full
  CHECK(fakeNs - start >= kStaleNs && fakeNs - start <= kStaleNs + kFakePauseNs);
  for (uint32_t i = 0; i < kSmall; ++i) {
    if (i != taken) CHECK_EQ(atomic(entryWord(full, i, 0)).load() & 3, uint64_t{kDead});
  }
  CHECK(full.lookup(first.data(), first.size(), config).slot == int64_t(taken));

  // One stalled claim where a new name hashes: retired after 2 s, and the name created past it.
  HostArena& one = freshArena(kSmall);
  const auto home = uint32_t(keyHash(second.data(), second.size()) % kSmall);
  atomic(entryWord(one, home, 0)).store(stalled);
  start = fakeNs;
  const HostArena::Found found = one.lookup(second.data(), second.size(), config);
  CHECK(found.created && found.slot == int64_t((home + 1) % kSmall));
  CHECK(fakeNs - start >= kStaleNs && fakeNs - start <= kStaleNs + kFakePauseNs);
  CHECK_EQ(atomic(entryWord(one, home, 0)).load() & 3, uint64_t{kDead});

  // A config word left odd by a live writer: read as it stands, and taken over, after 2 s each.
  const auto index = uint32_t(found.slot);
  uint64_t& version = entryWord(one, index, offsetof(DirectoryEntry, configVersion));
  atomic(version).store(uint64_t(uint32_t(getpid())) << 32 | 3);  // odd: a write under way, by a live pid
  double copy[kConfigFieldCount];
  const char* name = nullptr;
  uint32_t length = 0;
  start = fakeNs;
  CHECK(one.entryAt(index, name, length, copy));
  CHECK(fakeNs - start >= kStaleNs && fakeNs - start <= kStaleNs + kFakePauseNs);
  start = fakeNs;
  one.recordConfig(index, config);
  CHECK(fakeNs - start >= kStaleNs && fakeNs - start <= kStaleNs + kFakePauseNs);
  CHECK_EQ(atomic(version).load() & 1, uint64_t{0});
}

// Without `create` (a handle's arena), a missing file stays missing and an empty one stays empty.
void attachingNeverMakesAFile(const char* path) {
  OpenResult absent = openHostArena(path, 4, 1, 0, false);
  CHECK(absent.arena == nullptr && std::strstr(absent.error, "No such file or directory") != nullptr);
  struct stat info;
  CHECK(stat(path, &info) != 0);
  const int fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
  CHECK(fd >= 0);
  close(fd);
  OpenResult empty = openHostArena(path, 4, 1, 0, false);
  CHECK(empty.arena == nullptr && std::strstr(empty.error, "holds no host arena") != nullptr);
  CHECK(stat(path, &info) == 0 && info.st_size == 0);
  unlink(path);
}

// The newest probe's holder: this process never counts as dead; a process that exited does, once;
// a live one does not; and another process is asked about at most once per ms.
void deadProbeHoldersAnswerOnce(HostArena& arena) {
  const uint32_t slot = 3;
  uint32_t nowMs = 1;
  const auto clock = [&nowMs] { return nowMs; };
  CHECK(!arena.takeDeadProbeHolder(slot, clock));  // nobody holds one
  arena.noteProbeHolder(slot);
  CHECK(!arena.takeDeadProbeHolder(slot, clock));  // this process
  const pid_t child = fork();
  if (child == 0) _exit(0);
  CHECK(child > 0 && waitpid(child, nullptr, 0) == child);
  auto* entry = reinterpret_cast<uint32_t*>(arena.arenaBase() + arena.arenaByteLength() + slot * kEntryBytes + 20);
  __atomic_store_n(entry, uint32_t(child), __ATOMIC_RELEASE);  // a holder that exited
  CHECK(arena.takeDeadProbeHolder(slot, clock));
  CHECK(!arena.takeDeadProbeHolder(slot, clock));  // answered for: given back once
  __atomic_store_n(entry, uint32_t(getppid()), __ATOMIC_RELEASE);  // a live holder
  ++nowMs;
  CHECK(!arena.takeDeadProbeHolder(slot, clock));
  __atomic_store_n(entry, uint32_t(child), __ATOMIC_RELEASE);
  CHECK(!arena.takeDeadProbeHolder(slot, clock));  // the same ms: not asked
  ++nowMs;
  CHECK(arena.takeDeadProbeHolder(slot, clock));
}

// A file cut shorter under a live mapping: threads writing past its new end get private zero
// pages, not SIGBUS, and keep what they write; cut() says where the file ends; the part before
// the cut is still the file's.
void aCutFileCostsPrivatePagesNotTheProcess(const std::string& path) {
  OpenResult opened = openHostArena(path.c_str(), 64, 4, 0);
  CHECK(opened.arena != nullptr);
  if (!opened.arena) return;
  HostArena& arena = *opened.arena;
  CHECK_EQ(arena.cut().fileBytes, int64_t{-1});
  const size_t kept = kHostHeaderBytes + 4096;
  CHECK_EQ(truncate(path.c_str(), off_t(kept)), 0);
  std::byte* tail = arena.arenaBase() + arena.arenaByteLength() - 64;
#if defined(__SANITIZE_THREAD__)
  // TSan models the handler's mmap as a write of the whole range, which no atomic orders before
  // the other threads' later accesses: the first touch is made alone, before they start.
  reinterpret_cast<std::atomic<uint64_t>*>(tail + 8 * kThreads)->store(1);
#endif
  std::vector<std::thread> threads;
  std::atomic<int> keptTheirs{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto* word = reinterpret_cast<std::atomic<uint64_t>*>(tail + 8 * t);
      for (uint64_t i = 1; i <= 1000; ++i) word->store(i * 10 + uint64_t(t));
      if (word->load() == 10000 + uint64_t(t)) keptTheirs.fetch_add(1);
    });
  }
  for (std::thread& thread : threads) thread.join();
  CHECK_EQ(keptTheirs.load(), kThreads);
  const CutReading cut = arena.cut();
  CHECK_EQ(cut.fileBytes, int64_t(kept));
  CHECK_EQ(cut.sharedBytes, kept);
  CHECK_EQ(cut.mappedBytes, totalBytes(64, 4, 0));
  // Before the cut: still the file's pages.
  const uint64_t marker = 0x5eed5eed5eedULL;
  std::memcpy(arena.arenaBase() + 2048, &marker, sizeof marker);
  const int fd = open(path.c_str(), O_RDONLY);
  uint64_t read = 0;
  CHECK(fd >= 0 && pread(fd, &read, sizeof read, off_t(kHostHeaderBytes + 2048)) == ssize_t(sizeof read));
  CHECK_EQ(read, marker);
  close(fd);
  unlink(path.c_str());
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
    deadProbeHoldersAnswerOnce(*opened.arena);
    OpenResult again = openHostArena(path, 1, 1, 0);  // an existing file keeps its own geometry
    CHECK(again.arena == opened.arena && !again.created);
    CHECK_EQ(again.arena->arena().capacity(), kCapacity);
  }
  stalledClaimsCostTwoSecondsInAll();
  OpenResult missing = openHostArena("/nonexistent-folder/breakwater-x", 4, 1, 0);
  CHECK(missing.arena == nullptr && std::strstr(missing.error, "cannot open /nonexistent-folder/breakwater-x") != nullptr);
  unlink(path);
  attachingNeverMakesAFile(path);
  aCutFileCostsPrivatePagesNotTheProcess(std::string(path) + "-cut");
  return test::finish("host");
}
