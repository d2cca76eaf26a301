#include "ringscope/model/core/NumberList.h"

#include "ringscope/model/core/Error.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

namespace ringscope {

namespace {

bool blank(char c) {
    return std::isspace(static_cast<unsigned char>(c)) != 0;
}

} // namespace

std::vector<double> parseNumberList(const std::string& text, const std::string& what) {
    auto refuse = [&](const std::string& why) {
        return RingScopeError(what + " takes numbers separated by commas" + why + ", got '" + text +
                              "'");
    };
    std::vector<double> out;
    for (size_t begin = 0; begin <= text.size();) {
        const size_t end = std::min(text.find(',', begin), text.size());
        size_t first = begin, last = end;
        while (first < last && blank(text[first]))
            ++first;
        while (last > first && blank(text[last - 1]))
            --last;
        if (first < last) {
            double value = 0.0;
            const char* stop = text.data() + last;
            const auto parsed = std::from_chars(text.data() + first, stop, value);
            if (parsed.ec != std::errc() || parsed.ptr != stop || !std::isfinite(value))
                throw refuse("");
            out.push_back(value);
        }
        begin = end + 1;
    }
    if (out.empty()) throw refuse(" (none given)");
    return out;
}

} // namespace ringscope
