#include "ringscope/model/train/ProcessGroup.h"

#include "ringscope/model/core/Error.h"

// Builds without Gloo (RINGSCOPE_WITH_DISTRIBUTED=OFF, e.g. on Windows) keep the API: a group
// of one works, joining a larger one is a clear error.
#ifdef RINGSCOPE_WITH_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

#include <cstdlib>
#include <stdexcept>

namespace ringscope {

namespace {

std::string environment(const char* name, bool required) {
    const char* v = std::getenv(name);
    if (!v || !*v) {
        if (required)
            throw RingScopeError(
                std::string("distributed training needs the environment variable ") + name);
        return {};
    }
    return v;
}

int integerFromEnvironment(const char* name, int lo, int hi) {
    const std::string text = environment(name, true);
    char* end = nullptr;
    const long v = std::strtol(text.c_str(), &end, 10);
    if (*end != '\0' || v < lo || v > hi)
        throw RingScopeError(std::string(name) + "='" + text + "' is not an integer in [" +
                             std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return int(v);
}

#ifdef RINGSCOPE_WITH_GLOO
bool isLoopback(const std::string& host) {
    return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

/// Runs a collective and waits for it, turning c10d's exceptions into RingScopeError.
template <class Call> void runCollective(const char* what, Call&& call) {
    try {
        call()->wait();
    } catch (const std::exception& e) {
        throw RingScopeError(std::string("distributed ") + what + " failed: " + e.what());
    }
}
#endif

} // namespace

struct ProcessGroup::Impl {
    Options options;
#ifdef RINGSCOPE_WITH_GLOO
    c10::intrusive_ptr<c10d::Store> store;
    c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
#endif
};

ProcessGroup::Options ProcessGroup::optionsFromEnvironment() {
    Options o;
    o.masterAddress = environment("MASTER_ADDR", true);
    o.masterPort = integerFromEnvironment("MASTER_PORT", 1, 65535);
    o.worldSize = integerFromEnvironment("WORLD_SIZE", 1, 65536);
    o.rank = integerFromEnvironment("RANK", 0, o.worldSize - 1);
    o.interfaceAddress = environment("RINGSCOPE_GLOO_ADDR", false);
    return o;
}

ProcessGroup::ProcessGroup(const Options& options) : impl_(std::make_unique<Impl>()) {
    impl_->options = options;
    if (options.worldSize < 1 || options.rank < 0 || options.rank >= options.worldSize)
        throw RingScopeError("rank " + std::to_string(options.rank) + " is outside a group of " +
                             std::to_string(options.worldSize));
#ifndef RINGSCOPE_WITH_GLOO
    if (options.worldSize > 1)
        throw RingScopeError(
            "this build of RingScope has no distributed training (built without Gloo)");
#else
    const std::string where = options.masterAddress + ":" + std::to_string(options.masterPort);
    try {
        c10d::TCPStoreOptions so;
        so.port = uint16_t(options.masterPort);
        so.isServer = options.rank == 0;
        so.numWorkers = size_t(options.worldSize);
        so.waitWorkers = true;
        so.timeout = options.timeout;
        impl_->store = c10::make_intrusive<c10d::TCPStore>(options.masterAddress, so);
        auto go = c10d::ProcessGroupGloo::Options::create(options.timeout);
        std::string iface = options.interfaceAddress;
        if (iface.empty() && isLoopback(options.masterAddress)) iface = "127.0.0.1";
        go->devices.push_back(iface.empty()
                                  ? c10d::ProcessGroupGloo::createDefaultDevice()
                                  : c10d::ProcessGroupGloo::createDeviceForHostname(iface));
        go->threads = 2;
        impl_->group = c10::make_intrusive<c10d::ProcessGroupGloo>(impl_->store, options.rank,
                                                                   options.worldSize, go);
    } catch (const RingScopeError&) {
        throw;
    } catch (const std::exception& e) {
        throw RingScopeError("cannot join the training group at " + where + " as rank " +
                             std::to_string(options.rank) + " of " +
                             std::to_string(options.worldSize) + ": " + e.what());
    }
#endif
}

ProcessGroup::~ProcessGroup() = default;

int ProcessGroup::rank() const {
    return impl_->options.rank;
}
int ProcessGroup::worldSize() const {
    return impl_->options.worldSize;
}

#ifdef RINGSCOPE_WITH_GLOO
void ProcessGroup::allReduceSum(std::vector<torch::Tensor>& tensors) {
    if (worldSize() == 1 || tensors.empty()) return;
    runCollective("all-reduce", [&] { return impl_->group->allreduce(tensors); });
}

void ProcessGroup::broadcast(std::vector<torch::Tensor>& tensors, int root) {
    if (worldSize() == 1 || tensors.empty()) return;
    c10d::BroadcastOptions o;
    o.rootRank = root;
    runCollective("broadcast", [&] { return impl_->group->broadcast(tensors, o); });
}

void ProcessGroup::barrier() {
    if (worldSize() == 1) return;
    runCollective("barrier", [&] { return impl_->group->barrier(); });
}
#else
// A group of one: nothing to exchange.
void ProcessGroup::allReduceSum(std::vector<torch::Tensor>&) {}
void ProcessGroup::broadcast(std::vector<torch::Tensor>&, int) {}
void ProcessGroup::barrier() {}
#endif

} // namespace ringscope
