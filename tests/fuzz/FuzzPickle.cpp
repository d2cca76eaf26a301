// The pickle subset on its own (the data.pkl of a zip checkpoint): opcodes, memo, marks, the
// allow-list of globals and the tensor rebuild helpers, with persistent ids resolved to
// storages of the declared size.
#include "FuzzSupport.h"

#include "PickleReader.h"

#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace ringscope::detail;
    PickleArena arena;
    PickleLimits limits{100000, 100000};
    PickleReader reader(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.pkl", arena,
                        [&arena](const PyRef&) { return arena.make(PyKind::None); }, limits);
    ringscope::fuzz::expectCleanRefusal([&] { reader.load(); });
    return 0;
}
