#pragma once
/// @file Error.h
/// Exceptions thrown by the model library. Every message is meant for a person: it names the
/// file (when there is one) and says what is wrong with it.

#include <stdexcept>
#include <string>

namespace ringscope {

/// Base class of all errors the RingScope libraries report.
class RingScopeError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A file that cannot be read as what it claims to be (checkpoint, .npy, image, dataset).
/// The message starts with the file's path.
class FileFormatError : public RingScopeError {
public:
    FileFormatError(const std::string& path, const std::string& problem)
        : RingScopeError(path.empty() ? problem : path + ": " + problem), path_(path),
          problem_(problem) {}
    const std::string& path() const { return path_; }
    const std::string& problem() const { return problem_; }

private:
    std::string path_;
    std::string problem_;
};

/// A pickle that asks for a global outside the allow-list (e.g. `os system`). Nothing from the
/// file is executed: the unpickler stops as soon as it meets the global.
class UnsafePickleError : public FileFormatError {
public:
    UnsafePickleError(const std::string& path, const std::string& global)
        : FileFormatError(path, "refused pickle global '" + global +
                                    "': a checkpoint is data and RingScope never runs code "
                                    "from a file"),
          global_(global) {}
    const std::string& global() const { return global_; }

private:
    std::string global_;
};

/// Weights that do not fit a model: missing, unexpected or wrongly shaped tensors, or a
/// configuration that cannot be inferred (e.g. unknown number of heads).
class ModelMismatchError : public RingScopeError {
public:
    using RingScopeError::RingScopeError;
};

} // namespace ringscope
