#include "CliArgs.h"

#include <cerrno>
#include <cstdlib>

namespace ringscope::cli {

CliArgs::CliArgs(const std::vector<std::string>& args, const std::set<std::string>& valued,
                 const std::set<std::string>& flags) {
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a.size() > 2 && a.compare(0, 2, "--") == 0) {
            std::string name = a.substr(2), val;
            const auto eq = name.find('=');
            const bool inlineValue = eq != std::string::npos;
            if (inlineValue) {
                val = name.substr(eq + 1);
                name = name.substr(0, eq);
            }
            if (flags.count(name) && !inlineValue) {
                flags_.insert(name);
            } else if (valued.count(name)) {
                if (!inlineValue) {
                    if (i + 1 >= args.size())
                        throw UsageError{"option --" + name + " needs a value"};
                    val = args[++i];
                }
                values_.emplace_back(name, val);
            } else {
                throw UsageError{"unknown option --" + name};
            }
        } else {
            positional_.push_back(a);
        }
    }
}

std::optional<std::string> CliArgs::value(const std::string& name) const {
    for (auto it = values_.rbegin(); it != values_.rend(); ++it)
        if (it->first == name) return it->second;
    return std::nullopt;
}

std::string CliArgs::require(const std::string& name) const {
    auto v = value(name);
    if (!v) throw UsageError{"missing required option --" + name};
    return *v;
}

std::optional<int64_t> CliArgs::integer(const std::string& name) const {
    auto v = value(name);
    if (!v) return std::nullopt;
    errno = 0;
    char* end = nullptr;
    const long long n = std::strtoll(v->c_str(), &end, 10);
    if (v->empty() || *end != '\0' || errno == ERANGE)
        throw UsageError{"option --" + name + " needs an integer, got '" + *v + "'"};
    return static_cast<int64_t>(n);
}

int64_t CliArgs::integerOr(const std::string& name, int64_t fallback) const {
    return integer(name).value_or(fallback);
}

int64_t CliArgs::requireInteger(const std::string& name) const {
    auto v = integer(name);
    if (!v) throw UsageError{"missing required option --" + name};
    return *v;
}

std::optional<double> CliArgs::number(const std::string& name) const {
    auto v = value(name);
    if (!v) return std::nullopt;
    char* end = nullptr;
    const double x = std::strtod(v->c_str(), &end);
    if (v->empty() || *end != '\0')
        throw UsageError{"option --" + name + " needs a number, got '" + *v + "'"};
    return x;
}

} // namespace ringscope::cli
