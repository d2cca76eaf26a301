# RINGSCOPE_SANITIZE=address,undefined builds every target with those sanitizers (the `asan`
# preset; the fuzz targets use it too). Errors abort (no recovery), so a test fails on the
# first report. UBSan's vptr check is left out: it needs the RTTI of every library, and
# libtorch's and Qt's are not instrumented.
if(RINGSCOPE_SANITIZE)
    set(RINGSCOPE_SANITIZE_FLAGS -fsanitize=${RINGSCOPE_SANITIZE} -fno-sanitize=vptr
        -fno-sanitize-recover=all -fno-omit-frame-pointer)
    add_compile_options(${RINGSCOPE_SANITIZE_FLAGS})
    add_link_options(${RINGSCOPE_SANITIZE_FLAGS})
    add_compile_definitions(RINGSCOPE_SANITIZED)
    message(STATUS "Sanitizers: ${RINGSCOPE_SANITIZE}")
endif()
if(RINGSCOPE_FUZZ)
    if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
        message(FATAL_ERROR "RINGSCOPE_FUZZ needs clang (libFuzzer): configure with the fuzz preset")
    endif()
    # Coverage instrumentation for everything; the fuzz targets add libFuzzer's main.
    add_compile_options(-fsanitize=fuzzer-no-link)
endif()
