# Use ccache when it is installed. Precompiled headers need the pch sloppiness; the base
# directory makes paths relative and NOHASHDIR keeps the working directory out of the hash of
# builds with debug info (the sanitizer presets), so that a fresh clone elsewhere (CI's) hits the
# same cache.
find_program(RINGSCOPE_CCACHE ccache)
if(RINGSCOPE_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
    set(CMAKE_CXX_COMPILER_LAUNCHER
        ${CMAKE_COMMAND} -E env
        "CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime"
        "CCACHE_BASEDIR=${CMAKE_SOURCE_DIR}"
        "CCACHE_NOHASHDIR=true"
        ${RINGSCOPE_CCACHE})
    message(STATUS "Using ccache: ${RINGSCOPE_CCACHE}")
endif()
