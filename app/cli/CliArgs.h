#pragma once
// Minimal command-line parsing: positional arguments, `--name value` options and flags.

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace ringscope::cli {

/// Thrown for a malformed command line (reported as "usage error: ...").
struct UsageError {
    std::string message;
};

/// Parsed arguments of one sub-command.
class CliArgs {
public:
    /// `valued`: options that take a value; `flags`: options without value. Anything else
    /// starting with "--" is a UsageError.
    CliArgs(const std::vector<std::string>& args, const std::set<std::string>& valued,
            const std::set<std::string>& flags);

    const std::vector<std::string>& positional() const { return positional_; }
    bool flag(const std::string& name) const { return flags_.count(name) != 0; }
    std::optional<std::string> value(const std::string& name) const;
    std::string require(const std::string& name) const;
    std::optional<int64_t> integer(const std::string& name) const;
    int64_t integerOr(const std::string& name, int64_t fallback) const;
    int64_t requireInteger(const std::string& name) const;
    std::optional<double> number(const std::string& name) const;

private:
    std::vector<std::string> positional_;
    std::set<std::string> flags_;
    std::vector<std::pair<std::string, std::string>> values_;
};

} // namespace ringscope::cli
