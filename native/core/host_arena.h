// A host-wide arena (LAYOUT.md "Host arenas"): a file in /dev/shm that every process of the host
// maps, holding a host header, an ordinary arena and a name directory. Only set-up takes a lock
// (flock, which the kernel drops when its holder dies); the directory is lock-free, and an entry
// whose creator died mid-claim is retired by whoever finds it, so no crash can wedge it.
#pragma once

#if defined(__unix__) || defined(__APPLE__)
#define BREAKWATER_HOST_ARENAS 1
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#endif

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstring>

#include "arena.h"
#include "cut_file_guard.h"
#include "patience.h"
#include "slot_config.h"

namespace breakwater::host {

// "BWHOST01" read as bytes.
constexpr uint64_t kHostMagic = 0x31305453'4f485742ull;
constexpr uint32_t kHostVersion = 2;
constexpr size_t kHostHeaderBytes = 4096;
constexpr size_t kEntryBytes = 384;
constexpr size_t kMaxKeyBytes = 224;
constexpr uint32_t kMaxCapacity = 1u << 20;

struct HostHeader {
  uint64_t magic;
  uint32_t version;       // kHostVersion
  uint32_t arenaVersion;  // layout::kVersion of the arena that follows
  uint32_t ready;         // 1 once set-up finished; set-up redoes a file left at 0
  uint32_t capacity;      // slots, and directory entries
  uint32_t entryBytes;    // kEntryBytes
  uint32_t reserved0;
  uint64_t arenaBytes;
  uint64_t totalBytes;
  uint32_t lanePids[layout::kLanes];  // the process that owns each lane, 0 when free
  uint64_t syncLease;                 // pid << 32 | the holder's last heartbeat, ms32 of CLOCK_MONOTONIC
  uint8_t reserved[4096 - 56 - 4 * layout::kLanes];
};
static_assert(sizeof(HostHeader) == kHostHeaderBytes && offsetof(HostHeader, arenaBytes) == 32 &&
                  offsetof(HostHeader, lanePids) == 48 && offsetof(HostHeader, syncLease) == 112,
              "LAYOUT.md \"Host arenas\" gives these offsets");

// Entry states, the low two bits of an entry's word; the high 32 bits are the claimer's pid.
enum EntryState : uint64_t { kEmpty = 0, kClaiming = 1, kReady = 2, kDead = 3 };

struct DirectoryEntry {
  uint64_t word;
  uint64_t hash;
  uint32_t keyBytes;
  uint32_t probeHolder;    // the pid granted the slot's newest half-open probe (0: none, or answered for)
  uint64_t configVersion;  // bits 0-31: +2 per record written, odd while one is; 32-63: the writer's pid
  double config[16];       // the configure() record the slot was last configured with (kConfigFieldCount used)
  char key[kMaxKeyBytes];
};
static_assert(sizeof(DirectoryEntry) == kEntryBytes && offsetof(DirectoryEntry, keyBytes) == 16 &&
                  offsetof(DirectoryEntry, probeHolder) == 20 && offsetof(DirectoryEntry, configVersion) == 24 &&
                  offsetof(DirectoryEntry, config) == 32 &&
                  offsetof(DirectoryEntry, key) == 160,
              "LAYOUT.md \"Host arenas\" gives these offsets");
static_assert(kConfigFieldCount <= 16);

inline uint64_t keyHash(const char* key, size_t length) noexcept {
  uint64_t hash = 0xcbf29ce484222325ull;  // FNV-1a
  for (size_t i = 0; i < length; ++i) hash = (hash ^ uint8_t(key[i])) * 0x100000001b3ull;
  return hash;
}

inline size_t arenaBytes(uint32_t capacity, uint32_t maxBuckets, uint32_t bins) {
  return layout::kHeaderBytes + size_t{capacity} * layout::slotBytes(maxBuckets, bins);
}

inline size_t totalBytes(uint32_t capacity, uint32_t maxBuckets, uint32_t bins) {
  return kHostHeaderBytes + arenaBytes(capacity, maxBuckets, bins) + size_t{capacity} * kEntryBytes;
}

#ifdef BREAKWATER_HOST_ARENAS

// A process may have exited, or may be another user's (EPERM: it exists).
inline bool processAlive(uint32_t pid) noexcept {
  return pid != 0 && (kill(pid_t(pid), 0) == 0 || errno == EPERM);
}

// One file mapped once per process (never unmapped: views in any thread may outlive a registry).
class HostArena {
 public:
  // Precondition: checkHeaders() passed on the mapping. Its geometry is copied here, once: the
  // file's header is any process's to write, and one overwritten later must not move an address.
  HostArena(std::byte* base, dev_t device, ino_t inode, size_t guard) noexcept
      : base_(base),
        device_(device),
        inode_(inode),
        guard_(guard),
        arena_(base + kHostHeaderBytes),
        arenaBytes_(size_t(header().arenaBytes)) {}

  const Arena& arena() const noexcept { return arena_; }
  std::byte* arenaBase() const noexcept { return base_ + kHostHeaderBytes; }
  size_t arenaByteLength() const noexcept { return arenaBytes_; }
  bool sameFile(dev_t device, ino_t inode) const noexcept { return device == device_ && inode == inode_; }
  // Whether the file was found cut shorter under this mapping (cut_file_guard.h), and how far.
  CutReading cut() const noexcept { return readCut(guard_); }
  // The clock and pause of this mapping's waits on stalled claims and writes (native tests only).
  void setWaiting(Waiting waiting) noexcept { waiting_ = waiting; }

  struct Found {
    int64_t slot;  // -1: the directory is full
    bool created;
  };

  // The slot named `key`, claimed and configured with `config` when nobody named it before.
  // Claims of live processes are waited on for 2 s in all, however many the probe meets: past
  // that, a claim met is retired at once (a directory full of stalled claims costs 2 s, not 2 s
  // an entry). Retiring a live claimer's entry only costs that entry: it finds it retired and
  // moves on, so no key is ever ready in two entries.
  Found lookup(const char* key, size_t length, const double (&config)[kConfigFieldCount]) noexcept {
    const uint32_t capacity = arena_.capacity();
    const uint64_t hash = keyHash(key, length);
    const uint64_t pid = uint64_t(uint32_t(getpid()));
    Patience claims(waiting_, kStaleNs);
    for (uint32_t probe = 0; probe < capacity; ++probe) {
      const uint32_t index = uint32_t((hash + probe) % capacity);
      DirectoryEntry& entry = this->entry(index);
      for (;;) {
        uint64_t word = atomic(entry.word).load(kAcquire);
        const uint64_t state = word & 3;
        if (state == kEmpty) {
          const uint64_t claim = kClaiming | (pid << 32);
          if (!atomic(entry.word).compare_exchange_strong(word, claim, kAcqRel, kAcquire)) continue;
          entry.hash = hash;
          entry.keyBytes = uint32_t(length);
          std::memcpy(entry.key, key, length);
          std::memcpy(entry.config, config, sizeof config);
          // An entry is claimed once, so its slot was never touched: a zero slot, like a fresh arena's.
          configure(arena_.slot(index), config);
          uint64_t expected = claim;
          if (atomic(entry.word).compare_exchange_strong(expected, kReady | (pid << 32), kAcqRel, kAcquire)) {
            return {index, true};
          }
          break;  // retired by someone who took this process for dead: the slot stays unused
        }
        if (state == kReady) {
          if (entry.hash == hash && entry.keyBytes == length && std::memcmp(entry.key, key, length) == 0) {
            return {index, false};
          }
          break;
        }
        if (state == kDead) break;
        // Claiming: the claimer may be naming this very key; wait for it, unless it died (or,
        // stopped or with a pid reused, held claims for 2 s, far beyond the microseconds one takes).
        if (!processAlive(uint32_t(word >> 32)) || claims.over()) {
          atomic(entry.word).compare_exchange_strong(word, kDead | (word & ~uint64_t{3}), kAcqRel, kAcquire);
          continue;
        }
        claims.pause();
      }
    }
    return {-1, false};
  }

  // A ready entry's key and the record its slot was last configured with; false for an entry
  // that names nothing.
  bool entryAt(uint32_t index, const char*& key, uint32_t& length, double (&config)[kConfigFieldCount]) noexcept {
    if (index >= arena_.capacity()) return false;
    DirectoryEntry& entry = this->entry(index);
    if ((atomic(entry.word).load(kAcquire) & 3) != kReady) return false;
    key = entry.key;
    length = std::min<uint32_t>(entry.keyBytes, kMaxKeyBytes);  // the file is shared: never read past the entry
    readConfig(entry, config);
    return true;
  }

  // Keeps the record a ready entry's slot was just configured with, for the processes that name
  // it later and those that follow it (configVersion). One writer at a time, by a sequence lock
  // that names its holder: a write is taken over only from a dead process (or one stuck for 2 s).
  void recordConfig(uint32_t index, const double (&config)[kConfigFieldCount]) noexcept {
    if (index >= arena_.capacity()) return;
    DirectoryEntry& entry = this->entry(index);
    if ((atomic(entry.word).load(kAcquire) & 3) != kReady) return;
    const uint64_t pid = uint64_t(uint32_t(getpid()));
    uint64_t word = atomic(entry.configVersion).load(kAcquire);
    Patience write(waiting_, kStaleNs);
    for (;;) {
      if ((word & 1) == 0 || writerGone(word, write)) {
        const uint64_t mine = (pid << 32) | uint32_t(word | 1);
        if (atomic(entry.configVersion).compare_exchange_weak(word, mine, kAcqRel, kAcquire)) break;
        continue;
      }
      write.pause();
      const uint64_t now = atomic(entry.configVersion).load(kAcquire);
      if (now != word) write.restart();  // another write: its writer gets its own 2 s
      word = now;
    }
    // Release stores, read by acquire loads: a reader that sees one of these values then sees the
    // odd word stored before it (the seqlock's ordering, without fences, which TSAN lacks).
    for (size_t i = 0; i < kConfigFieldCount; ++i) atomic(entry.config[i]).store(config[i], kRelease);
    atomic(entry.configVersion).store(uint64_t(uint32_t(word | 1) + 1), kRelease);
  }

  // The sequence of entry `index`'s record: +2 for each one written, odd while one is.
  uint32_t configVersion(uint32_t index) const noexcept {
    return index < arena_.capacity() ? uint32_t(atomic(entry(index).configVersion).load(kAcquire)) : 0;
  }

 private:
  // Whether the write under way in `word` (the writer's pid above the sequence) will never end:
  // its writer died, or the word stayed as it is for 2 s (`unchanged` watching it since).
  static bool writerGone(uint64_t word, Patience& unchanged) noexcept {
    return !processAlive(uint32_t(word >> 32)) || unchanged.over();
  }

  // A consistent copy of the record, retried while a write is under way; a write whose writer
  // is gone is read as it stands.
  void readConfig(DirectoryEntry& entry, double (&config)[kConfigFieldCount]) const noexcept {
    Patience unchanged(waiting_, kStaleNs);
    for (uint64_t watched = 0;;) {
      const uint64_t before = atomic(entry.configVersion).load(kAcquire);
      for (size_t i = 0; i < kConfigFieldCount; ++i) config[i] = atomic(entry.config[i]).load(kAcquire);
      const uint64_t after = atomic(entry.configVersion).load(kRelaxed);
      if (before == after && (before & 1) == 0) return;
      if (after != watched) {
        watched = after;
        unchanged.restart();
      }
      if ((after & 1) == 1 && writerGone(after, unchanged)) return;
      unchanged.pause();
    }
  }

 public:
  // A lane for this thread; a lane whose owner process died is taken over (its counts stay in it).
  int32_t claimLane() noexcept {
    const uint32_t pid = uint32_t(getpid());
    int32_t lane = arena_.claimLane();
    if (lane >= 0) {
      atomic(header().lanePids[lane]).store(pid, kRelease);
      return lane;
    }
    for (uint32_t candidate = 0; candidate < layout::kLanes; ++candidate) {
      uint32_t owner = atomic(header().lanePids[candidate]).load(kAcquire);
      if (owner == 0 || owner == pid || processAlive(owner)) continue;
      if (atomic(header().lanePids[candidate]).compare_exchange_strong(owner, pid, kAcqRel, kAcquire)) {
        return int32_t(candidate);
      }
    }
    return -1;
  }

  // This process was granted the newest half-open probe of slot `index`, so the others can tell
  // when it died with the probe out (killed: no teardown gives it back).
  void noteProbeHolder(uint32_t index) noexcept {
    if (index < arena_.capacity()) atomic(entry(index).probeHolder).store(pid_, kRelease);
  }

  // Whether the process granted slot `index`'s newest probe no longer runs; true once per such
  // probe (the field is cleared by whoever answers true), so the caller gives it back once. Another
  // process is asked about at most once per ms (of `nowMs32()`, read only then) per mapping: the
  // refused calls of a round whose live holder's probe is out cost no system call each.
  template <class NowMs32>
  bool takeDeadProbeHolder(uint32_t index, NowMs32 nowMs32) noexcept {
    if (index >= arena_.capacity()) return false;
    uint32_t& field = entry(index).probeHolder;
    uint32_t holder = atomic(field).load(kAcquire);
    if (holder == 0 || holder == pid_) return false;
    const uint32_t now = nowMs32();
    if (lastHolderCheckMs32_.exchange(now, std::memory_order_relaxed) == now) return false;
    if (processAlive(holder)) return false;
    return atomic(field).compare_exchange_strong(holder, 0, kAcqRel, kAcquire);
  }

  // The host's one control process (cluster sync, tuner moves): true while `holder` (a registry of
  // this process) holds the lease, renewing it; taken over when its holder died or missed
  // heartbeats for `staleMs`. The registries of one process (its worker threads' too) share its
  // pid, so within the process one holder at a time takes the lease, by the same rule.
  bool holdSyncLease(uint32_t nowMs32, uint32_t staleMs, uint32_t holder) noexcept {
    uint64_t local = localSyncLease_.load(kAcquire);
    const uint32_t localHolder = uint32_t(local >> 32);
    const bool localStale = int32_t(nowMs32 - uint32_t(local)) > int32_t(staleMs);
    if (localHolder != holder && localHolder != 0 && !localStale) return false;
    if (!localSyncLease_.compare_exchange_strong(local, (uint64_t(holder) << 32) | nowMs32, kAcqRel, kAcquire)) {
      return false;
    }
    const uint64_t pid = uint64_t(uint32_t(getpid()));
    const uint64_t mine = (pid << 32) | nowMs32;
    uint64_t word = atomic(header().syncLease).load(kAcquire);
    const uint32_t holderPid = uint32_t(word >> 32);
    const bool stale = int32_t(nowMs32 - uint32_t(word)) > int32_t(staleMs);
    if (holderPid != pid && holderPid != 0 && !stale && processAlive(holderPid)) return false;
    return atomic(header().syncLease).compare_exchange_strong(word, mine, kAcqRel, kAcquire);
  }

  void releaseLane(int32_t lane) noexcept {
    atomic(header().lanePids[lane]).store(0, kRelease);
    arena_.releaseLane(lane);
  }

 private:
  HostHeader& header() const noexcept { return *reinterpret_cast<HostHeader*>(base_); }
  DirectoryEntry& entry(uint32_t index) const noexcept {
    auto* first = reinterpret_cast<DirectoryEntry*>(base_ + kHostHeaderBytes + arenaBytes_);
    return first[index];
  }

  std::byte* base_;
  dev_t device_;
  ino_t inode_;
  size_t guard_;
  Arena arena_;
  size_t arenaBytes_;
  Waiting waiting_;
  // This process's holder of the lease (holdSyncLease): holder << 32 | its last heartbeat, ms32.
  std::atomic<uint64_t> localSyncLease_{0};
  std::atomic<uint32_t> lastHolderCheckMs32_{0};  // takeDeadProbeHolder's last system call
  // This process (a refused call in a half-open round asks, and getpid() is a system call).
  const uint32_t pid_ = uint32_t(getpid());
};

#endif  // BREAKWATER_HOST_ARENAS

}  // namespace breakwater::host
