#include "ringscope/model/core/Runtime.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <mutex>
#include <thread>

#if defined(__GLIBC__)
#include <malloc.h>
#endif
#if defined(__unix__) || defined(__APPLE__)
#include <sys/resource.h>
#include <unistd.h>
#endif
#include <fstream>

namespace ringscope {

int hardwareThreads() {
    return std::max(1u, std::thread::hardware_concurrency());
}

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

double residentMemoryMiB() {
#if defined(__linux__)
    std::ifstream statm("/proc/self/statm");
    long pages = 0, resident = 0;
    if (statm >> pages >> resident)
        return double(resident) * double(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
#endif
    return 0.0;
}

double peakResidentMemoryMiB() {
#if defined(__unix__) || defined(__APPLE__)
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
#if defined(__APPLE__)
    return double(u.ru_maxrss) / (1024.0 * 1024.0); // bytes on macOS
#else
    return double(u.ru_maxrss) / 1024.0; // kilobytes on Linux
#endif
#else
    return 0.0;
#endif
}

double heapInUseMiB() {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    const struct mallinfo2 m = mallinfo2();
    return double(m.uordblks + m.hblkhd) / (1024.0 * 1024.0);
#else
    return 0.0;
#endif
}

int configureThreads(int threads) {
    configureAllocator();
    const int n = threads > 0 ? threads : hardwareThreads();
    at::set_num_threads(n);
    return n;
}

} // namespace ringscope
