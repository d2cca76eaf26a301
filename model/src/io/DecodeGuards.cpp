#include "io/DecodeGuards.h"

#include <opencv2/core.hpp>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <vector>

#ifndef _WIN32
#include <fcntl.h>
#include <unistd.h>
#endif

#if defined(__linux__)
// Part of the sanitizer runtimes' interface (sanitizer/common_interface_defs.h); null without one.
extern "C" void __sanitizer_set_report_fd(void* fd) __attribute__((weak));
#endif

namespace ringscope::detail {
namespace {

// --- Pixel limit ---------------------------------------------------------------------------

thread_local const int64_t* activeMaxPixels = nullptr;

void checkPixels(int dims, const int* sizes, int64_t maxPixels) {
    int64_t pixels = 1;
    for (int i = 0; i < dims; ++i) {
        if (sizes[i] <= 0) return;
        if (pixels > maxPixels / sizes[i])
            throw PixelLimitExceeded{dims > 1 ? sizes[1] : sizes[0], dims > 1 ? sizes[0] : 1};
        pixels *= sizes[i];
    }
}

/// OpenCV's default allocator while RingScope decodes: the limit of this thread's PixelLimit,
/// then the allocator it replaced. (cv::Mat::create falls back to the default allocator when a
/// Mat's own allocator throws, so only the default one can refuse.)
class LimitingAllocator : public cv::MatAllocator {
public:
    std::atomic<const cv::MatAllocator*> next{cv::Mat::getStdAllocator()};

    cv::UMatData* allocate(int dims, const int* sizes, int type, void* data, size_t* step,
                           cv::AccessFlag flags, cv::UMatUsageFlags usage) const override {
        if (activeMaxPixels) checkPixels(dims, sizes, *activeMaxPixels);
        return next.load()->allocate(dims, sizes, type, data, step, flags, usage);
    }
    bool allocate(cv::UMatData* data, cv::AccessFlag flags,
                  cv::UMatUsageFlags usage) const override {
        return next.load()->allocate(data, flags, usage);
    }
    void deallocate(cv::UMatData* data) const override { next.load()->deallocate(data); }
};

void installLimitingAllocator() {
    static auto* const allocator = new LimitingAllocator; // never freed: OpenCV keeps using it
    static std::mutex mutex;
    std::lock_guard<std::mutex> lock(mutex);
    cv::MatAllocator* current = cv::Mat::getDefaultAllocator();
    if (current == allocator) return;
    allocator->next = current;
    cv::Mat::setDefaultAllocator(allocator);
}

// --- Standard error ------------------------------------------------------------------------

std::mutex& captureMutex() {
    static std::mutex mutex;
    return mutex;
}

#ifndef _WIN32
void flushStandardError() {
    std::cerr.flush();
    std::clog.flush();
    std::fflush(stderr);
}

void sanitizerReportsTo(int fd) {
#if defined(__linux__)
    if (__sanitizer_set_report_fd) __sanitizer_set_report_fd(reinterpret_cast<void*>(intptr_t(fd)));
#else
    (void)fd;
#endif
}

bool makeNonBlocking(int fd) {
    const int flags = fcntl(fd, F_GETFL);
    return flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 &&
           fcntl(fd, F_SETFD, FD_CLOEXEC) == 0;
}

int redirect(int from, int to) {
    int result;
    do
        result = dup2(from, to);
    while (result < 0 && errno == EINTR);
    return result;
}

std::string drain(int fd) {
    std::string out;
    char buffer[4096];
    for (;;) {
        const ssize_t n = read(fd, buffer, sizeof buffer);
        if (n > 0)
            out.append(buffer, size_t(n));
        else if (n == 0 || errno != EINTR)
            return out; // end, or nothing more (EAGAIN)
    }
}
#endif

// --- Library output ------------------------------------------------------------------------

std::string trim(const std::string& s) {
    const size_t first = s.find_first_not_of(" \t\r\n>");
    if (first == std::string::npos) return {};
    return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

/// One message per line; OpenCV's "> ..." detail lines are joined to the line before.
std::vector<std::string> splitMessages(const std::string& said) {
    std::vector<std::string> messages;
    std::istringstream in(said);
    std::string line;
    while (std::getline(in, line)) {
        if (trim(line).empty()) continue;
        if (line[0] == '>' && !messages.empty())
            messages.back() += "\n" + line;
        else
            messages.push_back(line);
    }
    return messages;
}

std::string describe(std::string m, bool jpeg) {
    const bool fromOpenCv = m.rfind("imdecode_(", 0) == 0;
    const size_t call = m.find("): ");
    if (fromOpenCv && call != std::string::npos) m.erase(0, call + 3);
    const size_t exception = m.find("OpenCV(");
    if (exception != std::string::npos)
        return "OpenCV: " + m.substr(0, exception) + openCvReason(m.substr(exception));
    if (fromOpenCv) return "OpenCV: " + trim(m);
    if (!jpeg || m.rfind("libpng", 0) == 0) return trim(m);
    return "libjpeg: " + trim(m);
}

} // namespace

PixelLimit::PixelLimit(int64_t maxPixels) : previous_(activeMaxPixels), maxPixels_(maxPixels) {
    installLimitingAllocator();
    activeMaxPixels = &maxPixels_;
}

PixelLimit::~PixelLimit() {
    activeMaxPixels = previous_;
}

#ifndef _WIN32
StderrCapture::StderrCapture() : lock_(captureMutex()) {
    if (fcntl(2, F_GETFD) < 0) return; // no standard error to take over
    flushStandardError();
    int fds[2];
    if (pipe(fds) != 0) return;
    saved_ = fcntl(2, F_DUPFD_CLOEXEC, 3);
    if (saved_ < 0 || !makeNonBlocking(fds[0]) || !makeNonBlocking(fds[1]) ||
        redirect(fds[1], 2) < 0) {
        if (saved_ >= 0) close(saved_);
        saved_ = -1;
        close(fds[0]);
        close(fds[1]);
        return;
    }
    close(fds[1]);
    pipe_ = fds[0];
    cerrState_ = int(std::cerr.rdstate());
    clogState_ = int(std::clog.rdstate());
    stdioError_ = std::ferror(stderr) != 0;
    sanitizerReportsTo(saved_);
}

std::string StderrCapture::finish() {
    if (saved_ < 0) return {};
    flushStandardError();
    redirect(saved_, 2);
    sanitizerReportsTo(2);
    close(saved_);
    saved_ = -1;
    // A write the full pipe refused marks the streams bad: give them back as they were.
    std::cerr.clear(std::ios_base::iostate(cerrState_));
    std::clog.clear(std::ios_base::iostate(clogState_));
    if (!stdioError_) std::clearerr(stderr);
    std::string said = drain(pipe_);
    close(pipe_);
    pipe_ = -1;
    return said;
}
#else
StderrCapture::StderrCapture() : lock_(captureMutex()) {}
std::string StderrCapture::finish() {
    return {};
}
#endif

StderrCapture::~StderrCapture() {
    finish();
}

std::string openCvReason(const std::string& what) {
    std::istringstream in(what);
    std::string first, detail;
    std::getline(in, first);
    std::getline(in, detail);
    const size_t error = first.find("error: (");
    const size_t kind = error == std::string::npos ? error : first.find(") ", error);
    if (kind != std::string::npos) first.erase(0, kind + 2);
    const size_t function = first.rfind("in function '");
    if (function != std::string::npos) first.erase(function);
    std::string reason = trim(first);
    if (reason.empty()) reason = trim(detail); // CV_Check: the reason is on the next line
    const size_t where = reason.rfind(", where");
    if (where != std::string::npos && where + 7 == reason.size()) reason.erase(where);
    return reason;
}

std::string summariseLibraryOutput(const std::string& said, bool jpeg) {
    const std::vector<std::string> messages = splitMessages(said);
    std::string summary;
    for (size_t i = 0; i < messages.size() && i < 3; ++i)
        summary += (i ? "; " : "") + describe(messages[i], jpeg);
    if (messages.size() > 3) summary += "; ...";
    if (summary.size() > 400) summary = summary.substr(0, 397) + "...";
    for (char& c : summary)
        if (c == '\n' || c == '\r') c = ' ';
    return summary;
}

bool jpegOutputReportsDamage(const std::string& said) {
    for (const std::string& m : splitMessages(said)) {
        if (m.find("Premature end of JPEG file") != std::string::npos ||
            m.find("Inconsistent progression sequence") != std::string::npos)
            return true;
        if (m.find("Corrupt JPEG data") != std::string::npos &&
            m.find("extraneous bytes before marker 0xd9") == std::string::npos)
            return true;
    }
    return false;
}

} // namespace ringscope::detail
