// The process-wide thread count of libgelu (gelu_set_num_threads).
#include "src/parallel.hpp"

namespace gelu {
namespace {
std::atomic<int> g_num_threads{0};  // 0: all cores
}  // namespace

void SetThreads(int n) { g_num_threads.store(n < 1 ? 0 : n); }

int Threads() {
  const int n = g_num_threads.load();
  if (n >= 1) return n;
  const unsigned hc = std::thread::hardware_concurrency();
  return hc == 0 ? 1 : static_cast<int>(std::min(hc, 256u));
}

}  // namespace gelu
