# OpenBLAS's CMake package (find_package(OpenBLAS CONFIG)) sets variables and no target: wrap them
# in one imported target, made the same way by the build and by the installed package's config.
if(NOT TARGET xgrad::openblas)
    add_library(xgrad::openblas INTERFACE IMPORTED)
    set_target_properties(xgrad::openblas PROPERTIES
        INTERFACE_INCLUDE_DIRECTORIES "${OpenBLAS_INCLUDE_DIRS}"
        INTERFACE_LINK_LIBRARIES "${OpenBLAS_LIBRARIES}")
endif()
