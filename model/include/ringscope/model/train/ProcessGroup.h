#pragma once
/// @file ProcessGroup.h
/// Distributed data-parallel training over PyTorch's c10d: processes meet through a
/// TCPStore and exchange tensors with ProcessGroupGloo, configured the way `torchrun` does
/// it (MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE).

#include <torch/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace ringscope {

/// One process's membership of a training group.
class ProcessGroup {
public:
    struct Options {
        std::string masterAddress = "127.0.0.1"; ///< host of rank 0's TCPStore
        int masterPort = 29500;
        int rank = 0;
        int worldSize = 1;
        /// How long to wait for the other processes (rendezvous and each collective).
        std::chrono::seconds timeout{300};
        /// Address of this process's network interface for Gloo (empty: resolve the hostname,
        /// or the loopback when the master address is local).
        std::string interfaceAddress;
    };

    /// Options from MASTER_ADDR, MASTER_PORT, RANK and WORLD_SIZE (and RINGSCOPE_GLOO_ADDR for
    /// the interface). Throws RingScopeError naming a missing or invalid variable.
    static Options optionsFromEnvironment();

    /// Joins the group: blocks until all `worldSize` processes have arrived. Throws
    /// RingScopeError when the rendezvous fails or times out.
    explicit ProcessGroup(const Options& options);
    ~ProcessGroup();
    ProcessGroup(const ProcessGroup&) = delete;
    ProcessGroup& operator=(const ProcessGroup&) = delete;

    int rank() const;
    int worldSize() const;

    /// Sums each tensor (CPU, contiguous) element-wise over all processes, in place.
    void allReduceSum(std::vector<torch::Tensor>& tensors);
    /// Copies `root`'s tensors into every other process's tensors, in place.
    void broadcast(std::vector<torch::Tensor>& tensors, int root = 0);
    /// Returns when every process has called it.
    void barrier();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace ringscope
