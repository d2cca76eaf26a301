#pragma once
/// @file Runtime.h
/// Process-wide libtorch settings.

namespace ringscope {

/// Sets libtorch's intra-op threads: `threads` > 0, else every core of the machine (libtorch
/// starts with 1 on Debian's build). Returns the number set.
int configureThreads(int threads = 0);

/// Number of hardware threads (at least 1).
int hardwareThreads();

} // namespace ringscope
