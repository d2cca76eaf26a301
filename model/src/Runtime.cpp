#include "ringscope/model/Runtime.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <mutex>
#include <thread>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace ringscope {

int hardwareThreads() { return std::max(1u, std::thread::hardware_concurrency()); }

void configureAllocator() {
    static std::once_flag once;
    std::call_once(once, [] {
#if defined(__GLIBC__)
        // Blocks up to 32 MiB (glibc's maximum) come from the heap, and the heap keeps up to
        // 1 GiB of free memory instead of trimming it after each step.
        mallopt(M_MMAP_THRESHOLD, 32 << 20);
        mallopt(M_TRIM_THRESHOLD, 1 << 30);
        mallopt(M_TOP_PAD, 64 << 20);
#endif
    });
}

int configureThreads(int threads) {
    configureAllocator();
    const int n = threads > 0 ? threads : hardwareThreads();
    at::set_num_threads(n);
    return n;
}

} // namespace ringscope
