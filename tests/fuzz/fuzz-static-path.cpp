// libFuzzer harness for the static file resolver (server::request_relative_path,
// StaticFiles::resolve): a request path in, invariants checked.
//
// LLVMFuzzerInitialize builds a web root under $TMPDIR with files, a hidden file, a folder with
// an index, and symlinks: into the root, out of it (to a folder, a file, by an absolute path, to
// a sibling whose name starts with the root's), up to the root, and a loop. For any request
// path: no crash or undefined behaviour (built with ASan and UBSan). request_relative_path()
// gives "" or "/seg/seg..." with no empty segment, no segment that starts with '.', no backslash.
// resolve() gives nothing when request_relative_path() refuses, and otherwise only one of the
// root's own regular files (never a folder, a hidden file, or anything outside the root, however
// the path is encoded: "..", "%2e%2e", "//", NUL, "\", symlinks); when the decoded path names a
// regular file of the root directly (no symlink), resolve() gives that file.
// Built and run by run-fuzz.sh.
#include "fuzz-check.hpp"
#include "server/static-files.hpp"

#include <glib.h>
#include <glib/gstdio.h>

#include <climits>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>

using namespace callbox::server;
using callbox::fuzz::check;

namespace {

std::string base;                 // the temporary folder that holds the root and what is outside it
std::string root;                 // base/web, canonical
std::set<std::string> servable;   // the root's regular files that are not hidden, canonical
std::optional<StaticFiles> files; // serving `root`

void put(const std::string &path, const char *text)
{
    if (!g_file_set_contents(path.c_str(), text, -1, nullptr))
        std::abort();
}

void make_symlink(const std::string &target, const std::string &path)
{
    if (symlink(target.c_str(), path.c_str()) != 0)
        std::abort();
}

void remove_tree(const std::string &path)
{
    if (g_file_test(path.c_str(), G_FILE_TEST_IS_DIR) &&
        !g_file_test(path.c_str(), G_FILE_TEST_IS_SYMLINK)) {
        if (GDir *dir = g_dir_open(path.c_str(), 0, nullptr)) {
            while (const char *name = g_dir_read_name(dir))
                remove_tree(path + "/" + name);
            g_dir_close(dir);
        }
    }
    g_remove(path.c_str());
}

// Whether `path` is a regular file reached without any symlink on the way from the root.
bool plain_file_under_root(const std::string &path)
{
    struct stat st;
    for (std::size_t slash = root.size(); slash != std::string::npos;
         slash = path.find('/', slash + 1)) {
        if (lstat(path.substr(0, slash).c_str(), &st) != 0 || S_ISLNK(st.st_mode))
            return false;
    }
    return lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    GError *error = nullptr;
    char *made = g_dir_make_tmp("callbox-fuzz-static-XXXXXX", &error);
    if (!made)
        std::abort();
    char real[PATH_MAX];
    if (!realpath(made, real))
        std::abort();
    g_free(made);
    base = real;
    root = base + "/web";
    const std::string outside = base + "/outside";
    const std::string sibling = base + "/web-sibling"; // starts with the root's name
    for (const std::string &dir : {root, root + "/sub", outside, sibling})
        g_mkdir(dir.c_str(), 0700);
    put(root + "/index.html", "root index");
    put(root + "/app.js", "app");
    put(root + "/a b.txt", "space");
    put(root + "/sub/index.html", "sub index");
    put(root + "/sub/page.txt", "page");
    put(root + "/.hidden", "hidden");
    put(outside + "/secret.txt", "secret");
    put(outside + "/index.html", "outside index");
    put(sibling + "/index.html", "sibling index");
    put(base + "/index.html", "parent index");
    make_symlink("../outside", root + "/link-out");
    make_symlink("../outside/secret.txt", root + "/link-secret");
    make_symlink(outside + "/secret.txt", root + "/link-absolute");
    make_symlink("../web-sibling", root + "/link-sibling");
    make_symlink("app.js", root + "/link-in");
    make_symlink("..", root + "/sub/link-up");
    make_symlink("loop", root + "/loop");
    for (const char *name : {"index.html", "app.js", "a b.txt", "sub/index.html", "sub/page.txt"})
        servable.insert(root + "/" + name);
    std::string why;
    files = StaticFiles::open(root, why);
    if (!files)
        std::abort();
    std::atexit([] { remove_tree(base); });
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    // libsoup hands the path over as a C string: a raw NUL ends it.
    const std::string path(reinterpret_cast<const char *>(data), size);
    const std::string_view input(path);

    const auto relative = request_relative_path(path.c_str());
    const auto resolved = files->resolve(path.c_str());
    if (!relative) {
        check(!resolved, "resolve() serves a path request_relative_path() refuses", input);
        return 0;
    }
    check(relative->empty() || relative->front() == '/', "a relative path without a leading /",
          input);
    check(relative->find('\\') == std::string::npos, "a relative path with a backslash", input);
    check(relative->find("//") == std::string::npos && !relative->ends_with("/"),
          "a relative path with an empty segment", input);
    check(relative->find("/.") == std::string::npos,
          "a relative path with a segment that starts with '.'", input);

    if (resolved) {
        check(servable.count(*resolved) == 1,
              "resolve() gives a file that is not one of the root's own (outside, hidden or not "
              "a file)",
              input);
        return 0;
    }
    std::string direct = root + *relative;
    if (g_file_test(direct.c_str(), G_FILE_TEST_IS_DIR))
        direct += "/index.html";
    check(!plain_file_under_root(direct) || servable.count(direct) == 0,
          "resolve() refuses a file of the root that the path names directly", input);
    return 0;
}
