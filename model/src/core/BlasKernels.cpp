#include "ringscope/model/core/BlasKernels.h"

#if defined(__unix__) || defined(__APPLE__)
#include <dlfcn.h>
#endif

namespace ringscope {

std::string blasKernels() {
#if defined(__unix__) || defined(__APPLE__)
    // Looked up, not linked: libtorch may run on another BLAS.
    using NameFunction = char* (*)();
    const auto corename =
        reinterpret_cast<NameFunction>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
    const char* name = corename ? corename() : nullptr;
    return name ? std::string(name) : std::string();
#else
    return {};
#endif
}

} // namespace ringscope
