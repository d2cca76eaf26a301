# Compiler warnings for RingScope's own targets: ringscope_warnings(TARGET...). Third-party
# headers (libtorch, Qt, OpenCV, QCustomPlot) come in as system headers and stay quiet.
# RINGSCOPE_WERROR=ON (set by CI) turns the warnings into errors.
option(RINGSCOPE_WERROR "Treat compiler warnings in RingScope's own code as errors" OFF)

function(ringscope_warnings)
    foreach(target ${ARGN})
        if(MSVC)
            target_compile_options(${target} PRIVATE /W4 $<$<BOOL:${RINGSCOPE_WERROR}>:/WX>)
        else()
            target_compile_options(${target} PRIVATE
                -Wall -Wextra -Wnon-virtual-dtor -Woverloaded-virtual -Wimplicit-fallthrough
                $<$<BOOL:${RINGSCOPE_WERROR}>:-Werror>)
        endif()
    endforeach()
endfunction()
