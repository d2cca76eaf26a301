# One place for the version: the project version plus `git describe` when available.
set(RINGSCOPE_VERSION_STRING "${PROJECT_VERSION}")
find_package(Git QUIET)
if(GIT_FOUND AND EXISTS "${CMAKE_CURRENT_SOURCE_DIR}/.git")
    execute_process(COMMAND ${GIT_EXECUTABLE} describe --always --dirty --tags
                    WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}
                    OUTPUT_VARIABLE RINGSCOPE_GIT_DESCRIBE
                    OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    if(RINGSCOPE_GIT_DESCRIBE)
        set(RINGSCOPE_VERSION_STRING "${PROJECT_VERSION}+${RINGSCOPE_GIT_DESCRIBE}")
    endif()
endif()
configure_file(${CMAKE_CURRENT_LIST_DIR}/Version.h.in
               ${CMAKE_BINARY_DIR}/generated/ringscope/Version.h @ONLY)
