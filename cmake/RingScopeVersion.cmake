# One place for the version: the CMake project version, plus `git describe` when the source is a
# git checkout. The description is taken at build time (cmake/GenerateVersion.cmake, run by the
# target ringscope_version_source on every build), so a commit after configuring shows in
# `--version`; the generated file is only rewritten when the text changes, so nothing else
# recompiles. Library `ringscope_version`: ringscope/Version.h (ringscope::versionString()).
find_package(Git QUIET)
set(RINGSCOPE_VERSION_DIR ${CMAKE_BINARY_DIR}/version)
set(RINGSCOPE_VERSION_SOURCE ${RINGSCOPE_VERSION_DIR}/RingScopeVersion.cpp)
add_custom_target(ringscope_version_source
    COMMAND ${CMAKE_COMMAND} -DPROJECT_VERSION=${PROJECT_VERSION} -DSOURCE_DIR=${PROJECT_SOURCE_DIR}
            -DGIT_EXECUTABLE=${GIT_EXECUTABLE} -DOUTPUT=${RINGSCOPE_VERSION_SOURCE}
            -P ${CMAKE_CURRENT_LIST_DIR}/GenerateVersion.cmake
    BYPRODUCTS ${RINGSCOPE_VERSION_SOURCE}
    COMMENT "Version: ${PROJECT_VERSION} + git describe"
    VERBATIM)
add_library(ringscope_version STATIC ${RINGSCOPE_VERSION_SOURCE})
add_dependencies(ringscope_version ringscope_version_source)
target_include_directories(ringscope_version PUBLIC ${CMAKE_CURRENT_LIST_DIR}/include)
target_compile_definitions(ringscope_version PUBLIC RINGSCOPE_PROJECT_VERSION="${PROJECT_VERSION}")
