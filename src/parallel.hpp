// libgelu's threading and argument checks, shared by every C entry point. Work is cut into
// fixed blocks, so results (sums included) are bitwise the same for every thread count.
#ifndef GELU_SRC_PARALLEL_HPP_
#define GELU_SRC_PARALLEL_HPP_

#include <gelu/gelu.h>
#include <stddef.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace gelu {

// Elements per block: the unit of threading and of partial sums. 16K elements (~7 us of
// work on the fast path) keep thread hand-off cheap relative to the work.
inline constexpr size_t kBlock = size_t{1} << 14;
// Below this many elements (~0.1 ms of work) everything runs on the caller's thread: a thread
// start costs tens of microseconds.
inline constexpr size_t kMinParallel = size_t{1} << 18;

// gelu_set_num_threads / gelu_get_num_threads: n < 1 means all cores.
void SetThreads(int n);
int Threads();

inline size_t BlockCount(size_t n) { return (n + kBlock - 1) / kBlock; }

// Runs fn(block_index, begin, count) for every block of [0, n), on up to Threads() threads
// (one thread below kMinParallel).
template <class Fn>
void ForEachBlock(size_t n, const Fn& fn) {
  const size_t blocks = BlockCount(n);
  auto run_block = [&](size_t b) {
    const size_t begin = b * kBlock;
    fn(b, begin, std::min(kBlock, n - begin));
  };
  const size_t threads = n < kMinParallel ? 1 : std::min(static_cast<size_t>(Threads()), blocks);
  if (threads <= 1) {
    for (size_t b = 0; b < blocks; ++b) run_block(b);
    return;
  }
  // Each thread starts on its own contiguous run of blocks (blocks * t / threads up to the
  // next one's start) and, when that is done, takes blocks from the other runs, so a thread that
  // was descheduled does not hold up the call. Contiguous runs stream from memory: handing out
  // blocks in turns from one counter made each thread skip 64 KiB every 64 KiB, and on 64M
  // floats gelu forward reached 0.88x copy-scale against 0.97x with runs (docs/PERFORMANCE.md).
  struct alignas(64) Run {
    std::atomic<size_t> next;
    size_t end;
  };
  std::vector<Run> runs(threads);
  for (size_t t = 0; t < threads; ++t) {
    runs[t].next.store(blocks * t / threads);
    runs[t].end = blocks * (t + 1) / threads;
  }
  auto worker = [&](size_t t) {
    for (size_t k = 0; k < threads; ++k) {
      Run& run = runs[(t + k) % threads];
      for (size_t b = run.next.fetch_add(1); b < run.end; b = run.next.fetch_add(1)) run_block(b);
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(threads - 1);
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker, t);
  worker(0);
  for (auto& th : pool) th.join();
}

// True when [in, in + n) and [out, out + n) overlap without being the same array: the kernel
// would read values it had already overwritten.
template <class T, class U>
bool OverlapsPartly(const T* in, const U* out, size_t n) {
  const auto a = reinterpret_cast<std::uintptr_t>(in);
  const auto b = reinterpret_cast<std::uintptr_t>(out);
  if (a == b || n == 0) return false;
  const std::uintptr_t a_end = a + n * sizeof(T);
  const std::uintptr_t b_end = b + n * sizeof(U);
  return a < b_end && b < a_end;
}

inline bool ValidAct(gelu_act act) {
  const int a = static_cast<int>(act);
  return a >= 0 && a < GELU_ACT_COUNT;
}

// The checks of every elementwise entry point, whatever the element type: a known act, and for
// n > 0 non-null arrays, the output equal to or apart from each input (dy is null for forward).
template <class T>
bool ValidElementwise(gelu_act act, size_t n, const T* x, const T* dy, const T* out,
                      bool backward) {
  if (!ValidAct(act)) return false;
  if (n == 0) return true;
  if (x == nullptr || out == nullptr || (backward && dy == nullptr)) return false;
  return !OverlapsPartly(x, out, n) && !(backward && OverlapsPartly(dy, out, n));
}

}  // namespace gelu

#endif  // GELU_SRC_PARALLEL_HPP_
