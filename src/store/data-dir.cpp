// prepare_data_dir: g_mkdir_with_parents, with errors that name the folder.
#include "store/data-dir.hpp"

#include <glib.h>

#include <cerrno>

namespace callbox::store {

bool prepare_data_dir(const std::string &dir, std::string &error)
{
    if (g_file_test(dir.c_str(), G_FILE_TEST_EXISTS) &&
        !g_file_test(dir.c_str(), G_FILE_TEST_IS_DIR)) {
        error = "data dir " + dir + " is not a folder";
        return false;
    }
    if (g_mkdir_with_parents(dir.c_str(), 0750) != 0) {
        error = "cannot create data dir " + dir + ": " + g_strerror(errno);
        return false;
    }
    return true;
}

} // namespace callbox::store
