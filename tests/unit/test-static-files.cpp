// Unit tests for the static file resolver: request paths → files under the web root, and every way
// out refused.
#include "server/static-files.hpp"

#include <glib.h>
#include <glib/gstdio.h>
#include <gtest/gtest.h>

#include <unistd.h>

using namespace callbox::server;

namespace {

std::optional<std::string> rel(const char *path)
{
    return request_relative_path(path);
}

// base/web (the root: index.html, app.js, sub/page.txt, .hidden, symlinks) and base/outside.
class WebRoot : public ::testing::Test
{
protected:
    std::string base, root;
    std::optional<StaticFiles> files;

    void SetUp() override
    {
        const char *tmp = g_getenv("CALLBOX_TEST_TMP");
        std::string tmpl = std::string(tmp ? tmp : g_get_tmp_dir()) + "/static-XXXXXX";
        ASSERT_TRUE(g_mkdtemp(tmpl.data()));
        char real[PATH_MAX];
        ASSERT_TRUE(realpath(tmpl.c_str(), real));
        base = real;
        root = base + "/web";
        for (const std::string &d : {root, root + "/sub", base + "/outside", base + "/web-sibling"})
            ASSERT_EQ(g_mkdir(d.c_str(), 0700), 0);
        for (const std::string &f :
             {root + "/index.html", root + "/app.js", root + "/sub/page.txt", root + "/.hidden",
              base + "/outside/secret.txt", base + "/web-sibling/index.html"})
            ASSERT_TRUE(g_file_set_contents(f.c_str(), "x", -1, nullptr));
        ASSERT_EQ(symlink("../outside/secret.txt", (root + "/link-secret").c_str()), 0);
        ASSERT_EQ(symlink("../outside", (root + "/link-out").c_str()), 0);
        ASSERT_EQ(symlink("../web-sibling", (root + "/link-sibling").c_str()), 0);
        ASSERT_EQ(symlink("app.js", (root + "/link-in").c_str()), 0);
        std::string why;
        files = StaticFiles::open(root, why);
        ASSERT_TRUE(files) << why;
    }

    void TearDown() override
    {
        for (const std::string f :
             {"/web/link-secret", "/web/link-out", "/web/link-sibling", "/web/link-in",
              "/web/index.html", "/web/app.js", "/web/sub/page.txt", "/web/.hidden",
              "/outside/secret.txt", "/web-sibling/index.html", "/web/sub", "/web", "/outside",
              "/web-sibling", ""})
            g_remove((base + f).c_str());
    }

    std::optional<std::string> resolve(const char *path) const { return files->resolve(path); }
};

} // namespace

TEST(RequestPath, DecodesAndDropsEmptySegments)
{
    EXPECT_EQ(rel("/"), "");
    EXPECT_EQ(rel("/app.js"), "/app.js");
    EXPECT_EQ(rel("//sub///page.txt/"), "/sub/page.txt");
    EXPECT_EQ(rel("/a%20b.txt"), "/a b.txt");
    EXPECT_EQ(rel("/%41pp.js"), "/App.js");
}

TEST(RequestPath, RefusesEveryWayOut)
{
    for (const char *path :
         {"", "app.js", "/..", "/../outside/secret.txt", "/sub/../../x", "/%2e%2e/x", "/%2E%2e/x",
          "/.%2e/x", "/%2e/x", "/.hidden", "/%2ehidden", "/sub%2f..%2fx", "/%2fetc/passwd",
          "/app.js%00.html", "/sub\\..\\x", "/sub%5c..%5cx", "/%", "/%zz", "/%2"})
        EXPECT_FALSE(rel(path)) << path;
}

TEST_F(WebRoot, ServesTheRootsFiles)
{
    EXPECT_EQ(resolve("/"), root + "/index.html");
    EXPECT_EQ(resolve("/app.js"), root + "/app.js");
    EXPECT_EQ(resolve("//sub//page.txt"), root + "/sub/page.txt");
    EXPECT_EQ(resolve("/link-in"), root + "/app.js");
}

TEST_F(WebRoot, RefusesWhatIsOutsideHiddenOrMissing)
{
    for (const char *path : {"/link-secret", "/link-out/secret.txt", "/link-out/", "/link-sibling/",
                             "/link-sibling/index.html", "/.hidden", "/sub", "/nope.js",
                             "/../outside/secret.txt", "/%2e%2e/outside/secret.txt"})
        EXPECT_FALSE(resolve(path)) << path;
}
