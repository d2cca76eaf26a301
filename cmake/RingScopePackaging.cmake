# Install rules and installers (CPack).
#
# Layout (prefix-relative, the same in the .deb, the .tar.gz and the Windows installer):
#   bin/ringscope, bin/ringscope-cli
#   share/ringscope/{models,images,examples}      bundled demo models and images
#   share/applications, share/icons/hicolor, share/metainfo, share/mime/packages  (Linux)
#   share/doc/ringscope/{README.md,copyright}
# macOS: RingScope's bundle holds everything (Contents/MacOS, Contents/Resources).
include(GNUInstallDirs)

set(RINGSCOPE_APP_ID io.github.ringscope.RingScope)
set(RINGSCOPE_PACKAGING_DIR ${PROJECT_SOURCE_DIR}/packaging)

if(APPLE)
    set(RINGSCOPE_DATA_DESTINATION ringscope.app/Contents/Resources)
    set(RINGSCOPE_CLI_DESTINATION ringscope.app/Contents/MacOS)
else()
    set(RINGSCOPE_DATA_DESTINATION ${CMAKE_INSTALL_DATADIR}/ringscope)
    set(RINGSCOPE_CLI_DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

# Executables.
install(TARGETS ringscope-cli RUNTIME DESTINATION ${RINGSCOPE_CLI_DESTINATION})
if(RINGSCOPE_BUILD_GUI)
    install(TARGETS ringscope RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} BUNDLE DESTINATION .)
endif()

# The bundled demo models, example and images (found by the app next to its executable).
install(DIRECTORY ${PROJECT_SOURCE_DIR}/resources/models ${PROJECT_SOURCE_DIR}/resources/images
                  ${PROJECT_SOURCE_DIR}/resources/examples
        DESTINATION ${RINGSCOPE_DATA_DESTINATION})
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${RINGSCOPE_PACKAGING_DIR}/copyright
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/ringscope)

# Desktop integration (freedesktop): launcher, icons, AppStream, MIME type of checkpoints.
if(UNIX AND NOT APPLE)
    install(FILES ${RINGSCOPE_PACKAGING_DIR}/linux/${RINGSCOPE_APP_ID}.desktop
            DESTINATION ${CMAKE_INSTALL_DATADIR}/applications)
    install(FILES ${PROJECT_SOURCE_DIR}/resources/icons/ringscope.svg
            DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps RENAME ${RINGSCOPE_APP_ID}.svg)
    foreach(size 16 24 32 48 64 128 256 512)
        install(FILES ${PROJECT_SOURCE_DIR}/resources/icons/ringscope-${size}.png
                DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/${size}x${size}/apps
                RENAME ${RINGSCOPE_APP_ID}.png)
    endforeach()
    configure_file(${RINGSCOPE_PACKAGING_DIR}/linux/${RINGSCOPE_APP_ID}.metainfo.xml
                   ${PROJECT_BINARY_DIR}/packaging/${RINGSCOPE_APP_ID}.metainfo.xml @ONLY)
    install(FILES ${PROJECT_BINARY_DIR}/packaging/${RINGSCOPE_APP_ID}.metainfo.xml
            DESTINATION ${CMAKE_INSTALL_DATADIR}/metainfo)
    install(FILES ${RINGSCOPE_PACKAGING_DIR}/linux/${RINGSCOPE_APP_ID}.mime.xml
            DESTINATION ${CMAKE_INSTALL_DATADIR}/mime/packages RENAME ${RINGSCOPE_APP_ID}.xml)
    # Manual pages and the Debian changelog, compressed as Debian wants them (gzip -9n).
    find_program(RINGSCOPE_GZIP gzip)
    if(RINGSCOPE_GZIP)
        set(compressed)
        foreach(src linux/man/ringscope.1 linux/man/ringscope-cli.1 changelog)
            get_filename_component(name ${src} NAME)
            set(out ${PROJECT_BINARY_DIR}/packaging/${name}.gz)
            add_custom_command(OUTPUT ${out}
                COMMAND ${RINGSCOPE_GZIP} -9nc ${RINGSCOPE_PACKAGING_DIR}/${src} > ${out}
                DEPENDS ${RINGSCOPE_PACKAGING_DIR}/${src} VERBATIM)
            list(APPEND compressed ${out})
        endforeach()
        add_custom_target(ringscope_packaging_docs ALL DEPENDS ${compressed})
        install(FILES ${PROJECT_BINARY_DIR}/packaging/ringscope.1.gz ${PROJECT_BINARY_DIR}/packaging/ringscope-cli.1.gz
                DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
        install(FILES ${PROJECT_BINARY_DIR}/packaging/changelog.gz DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/ringscope)
    endif()
endif()

# Windows: libtorch's DLLs (upstream's documented way: every DLL in its lib/), the DLLs of the
# other imported targets, Qt through windeployqt, and the compiler's runtime.
if(WIN32)
    file(GLOB RINGSCOPE_TORCH_DLLS "${TORCH_INSTALL_PREFIX}/lib/*.dll")
    install(FILES ${RINGSCOPE_TORCH_DLLS} DESTINATION ${CMAKE_INSTALL_BINDIR})
    # Empty with vcpkg's static triplet; install(CODE) tolerates an empty list.
    install(CODE "set(dlls \"$<TARGET_RUNTIME_DLLS:ringscope-cli>\")
        if(dlls)
            file(INSTALL \${dlls} DESTINATION \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}\")
        endif()")
    include(InstallRequiredSystemLibraries)
endif()
# Windows and macOS: Qt's deployment script runs windeployqt / macdeployqt at install time.
# (OUTPUT_SCRIPT needs Qt >= 6.5; the Windows and macOS workflows use newer Qt.) On macOS the
# installed binaries keep the paths of the libraries they were linked with (libtorch's zip).
if(APPLE)
    set_target_properties(ringscope-cli PROPERTIES INSTALL_RPATH_USE_LINK_PATH ON)
    if(RINGSCOPE_BUILD_GUI)
        set_target_properties(ringscope PROPERTIES INSTALL_RPATH_USE_LINK_PATH ON)
    endif()
endif()
if((WIN32 OR APPLE) AND RINGSCOPE_BUILD_GUI)
    qt_generate_deploy_app_script(TARGET ringscope OUTPUT_SCRIPT RINGSCOPE_DEPLOY_SCRIPT
                                  NO_UNSUPPORTED_PLATFORM_ERROR)
    install(SCRIPT ${RINGSCOPE_DEPLOY_SCRIPT})
endif()

# CPack: the same description and version everywhere.
set(CPACK_PACKAGE_NAME ringscope)
set(CPACK_PACKAGE_VENDOR "The RingScope developers")
set(CPACK_PACKAGE_CONTACT "The RingScope developers <ringscope@users.noreply.github.com>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Workbench for looking inside weight-shared vision transformers")
set(CPACK_PACKAGE_DESCRIPTION_FILE ${RINGSCOPE_PACKAGING_DIR}/description.txt)
set(CPACK_PACKAGE_HOMEPAGE_URL "https://github.com/ringscope/ringscope")
set(CPACK_PACKAGE_INSTALL_DIRECTORY RingScope)
set(CPACK_PACKAGE_EXECUTABLES ringscope RingScope)
set(CPACK_RESOURCE_FILE_LICENSE ${RINGSCOPE_PACKAGING_DIR}/copyright)
set(CPACK_STRIP_FILES ON)
set(CPACK_SOURCE_IGNORE_FILES "/build/;/\\\\.git/")

if(WIN32)
    set(CPACK_GENERATOR NSIS)
elseif(APPLE)
    set(CPACK_GENERATOR DragNDrop)
else()
    set(CPACK_GENERATOR "DEB;TGZ")
endif()

# Debian: runtime libraries found by dpkg-shlibdeps; what it cannot see is named: Qt's platform
# plugins (a window needs them) and OpenBLAS with OpenMP (libtorch's BLAS; 15x faster matmul
# than the reference BLAS).
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "qt6-qpa-plugins, libopenblas0-openmp")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "dataset-fashion-mnist")
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE ${CPACK_PACKAGE_HOMEPAGE_URL})
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

# Windows (NSIS): Start menu entry, uninstaller, the app's icon.
set(CPACK_NSIS_PACKAGE_NAME RingScope)
set(CPACK_NSIS_DISPLAY_NAME "RingScope ${PROJECT_VERSION}")
set(CPACK_NSIS_MUI_ICON ${PROJECT_SOURCE_DIR}/resources/icons/ringscope.ico)
set(CPACK_NSIS_MUI_UNIICON ${PROJECT_SOURCE_DIR}/resources/icons/ringscope.ico)
set(CPACK_NSIS_INSTALLED_ICON_NAME bin\\\\ringscope.exe)
set(CPACK_NSIS_ENABLE_UNINSTALL_BEFORE_INSTALL ON)
set(CPACK_NSIS_URL_INFO_ABOUT ${CPACK_PACKAGE_HOMEPAGE_URL})

# macOS (DragNDrop): a disk image holding RingScope's bundle.
set(CPACK_DMG_VOLUME_NAME RingScope)
set(CPACK_DMG_FORMAT UDBZ)

include(CPack)
