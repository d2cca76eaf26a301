#pragma once
/// @file Runtime.h
/// Process-wide libtorch and allocator settings.

namespace ringscope {

/// Sets libtorch's intra-op threads: `threads` > 0, else every core of the machine (libtorch
/// starts with 1 on Debian's build). Also calls configureAllocator() once. Returns the number
/// of threads set.
int configureThreads(int threads = 0);

/// Keeps freed tensor memory in the process instead of returning it to the OS after every
/// step (glibc otherwise maps and unmaps multi-megabyte blocks each forward pass, and the page
/// faults cost up to 40% of a step). No effect on platforms without glibc.
void configureAllocator();

/// Number of hardware threads (at least 1).
int hardwareThreads();

/// Resident memory of this process now, in MiB (0 where the platform does not tell).
double residentMemoryMiB();

/// Peak resident memory of this process so far, in MiB (0 where the platform does not tell).
double peakResidentMemoryMiB();

/// Bytes the C heap has handed out and not taken back, in MiB (glibc's mallinfo2; 0 elsewhere).
/// Unlike resident memory, it does not count free memory the heap keeps for reuse, so it tells
/// growth of live data from fragmentation.
double heapInUseMiB();

} // namespace ringscope
