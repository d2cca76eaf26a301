#include "ringscope/model/Runtime.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <thread>

namespace ringscope {

int hardwareThreads() { return std::max(1u, std::thread::hardware_concurrency()); }

int configureThreads(int threads) {
    const int n = threads > 0 ? threads : hardwareThreads();
    at::set_num_threads(n);
    return n;
}

} // namespace ringscope
