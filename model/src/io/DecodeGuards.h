#pragma once
// Guards around one cv::imdecode call. PixelLimit checks the pixel limit when the decoder
// allocates the image, that is after it has read the dimensions from the header and before any
// pixel is decoded. StderrCapture takes what the codec libraries print on standard error
// (libpng's and libjpeg's warnings, OpenCV's "imdecode_(...): can't read header: ..."), so it can
// become part of RingScope's message instead of standing alone on the terminal.
#include <cstdint>
#include <mutex>
#include <string>

namespace ringscope::detail {

/// Thrown out of cv::imdecode when the decoder asks for an image over the limit.
struct PixelLimitExceeded {
    int64_t width = 0, height = 0;
};

/// While alive, a cv::Mat that this thread allocates with more than `maxPixels` elements (rows x
/// columns; channels not counted) throws PixelLimitExceeded instead of allocating. It works
/// through OpenCV's default MatAllocator, which the first PixelLimit replaces, process-wide, by
/// one that passes every allocation on to the allocator it replaced. (OpenCV's own
/// OPENCV_IO_MAX_IMAGE_PIXELS cannot serve: OpenCV 4.6 reads it when libopencv_imgcodecs is
/// loaded, before any RingScope code runs, and it would be one limit for every call.)
class PixelLimit {
public:
    explicit PixelLimit(int64_t maxPixels);
    ~PixelLimit();
    PixelLimit(const PixelLimit&) = delete;
    PixelLimit& operator=(const PixelLimit&) = delete;

private:
    const int64_t* previous_;
    int64_t maxPixels_;
};

/// While alive, file descriptor 2 goes into a pipe, so nothing the libraries print reaches the
/// terminal. One capture at a time in the process (a mutex, held until destruction): the
/// redirection is process-wide, so decodes in other threads wait, and whatever other threads
/// print meanwhile is captured too. The pipe never blocks a writer (O_NONBLOCK: past its
/// capacity, 64 KiB on Linux, output is dropped) and standard error is restored by finish() or
/// the destructor. Sanitizer reports still reach the real standard error. Without a pipe (fd 2
/// closed, no descriptors left) and on Windows nothing is captured.
class StderrCapture {
public:
    StderrCapture();
    ~StderrCapture();
    StderrCapture(const StderrCapture&) = delete;
    StderrCapture& operator=(const StderrCapture&) = delete;
    /// Restores standard error and returns what was written to it meanwhile.
    std::string finish();

private:
    std::unique_lock<std::mutex> lock_;
    int saved_ = -1, pipe_ = -1;
    int cerrState_ = 0, clogState_ = 0;
    bool stdioError_ = false;
};

/// The reason in a cv::Exception message: "OpenCV(4.6.0) file:77: error: (-215:Assertion failed)
/// pixels <= CV_IO_MAX_IMAGE_PIXELS in function 'f'" gives "pixels <= CV_IO_MAX_IMAGE_PIXELS".
std::string openCvReason(const std::string& what);

/// What the libraries printed, as one line for a message: at most three of their messages,
/// joined by "; ", e.g. "libpng error: PNG input buffer is incomplete" or "OpenCV: can't read
/// data: Unexpected end of input stream". Lines from libjpeg (when `jpeg`) get "libjpeg: ".
std::string summariseLibraryOutput(const std::string& said, bool jpeg);

/// True when libjpeg's output says the image data is damaged, which it then pads with grey:
/// "Corrupt JPEG data: ..." (except extraneous bytes before the end-of-image marker, after all
/// the image data), "Premature end of JPEG file", "Inconsistent progression sequence ...".
/// libjpeg prints only its first warning of a file, so a later one can go unseen.
bool jpegOutputReportsDamage(const std::string& said);

} // namespace ringscope::detail
