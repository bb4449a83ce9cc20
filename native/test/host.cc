// The host arena's directory: threads racing to name the same breakers agree on one slot each,
// distinct names get distinct slots, a full directory says so, and a reopened file keeps them.
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
    const double* stored = nullptr;
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
    OpenResult again = openHostArena(path, 1, 1, 0);  // an existing file keeps its own geometry
    CHECK(again.arena == opened.arena && !again.created);
    CHECK_EQ(again.arena->arena().capacity(), kCapacity);
  }
  OpenResult missing = openHostArena("/nonexistent-folder/breakwater-x", 4, 1, 0);
  CHECK(missing.arena == nullptr && std::strstr(missing.error, "cannot open /nonexistent-folder/breakwater-x") != nullptr);
  unlink(path);
  return test::finish("host");
}
