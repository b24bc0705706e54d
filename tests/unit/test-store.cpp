// Unit tests for ChatStore: seq per room, latest-N order, reopening, corrupt files.
#include "store/chat-store.hpp"
#include "store/group-commit.hpp"

#include <glib.h>
#include <glib/gstdio.h>
#include <gtest/gtest.h>

using namespace callbox;
using store::ChatStore;

namespace {

class Store : public ::testing::Test
{
protected:
    std::string dir;
    std::string path;
    void SetUp() override
    {
        const char *base = g_getenv("CALLBOX_TEST_TMP");
        std::string tmpl = std::string(base ? base : g_get_tmp_dir()) + "/store-XXXXXX";
        ASSERT_TRUE(g_mkdtemp(tmpl.data()));
        dir = tmpl;
        path = dir + "/chat.sqlite3";
    }
    void TearDown() override
    {
        for (const char *suffix : {"", "-wal", "-shm"})
            g_remove((path + suffix).c_str());
        g_rmdir(dir.c_str());
    }
    std::unique_ptr<ChatStore> open()
    {
        std::string error;
        auto s = ChatStore::open(path, error);
        EXPECT_TRUE(s) << error;
        return s;
    }
    static std::uint64_t add(ChatStore &s, const std::string &room, const std::string &text)
    {
        protocol::ChatRecord c{room, 0, "p1", "alice", text, 1000};
        std::string error;
        EXPECT_TRUE(s.append(c, error)) << error;
        return c.seq;
    }
};

} // namespace

TEST_F(Store, SeqPerRoomAndAcrossReopen)
{
    {
        auto s = open();
        EXPECT_EQ(add(*s, "kitchen", "a"), 1u);
        EXPECT_EQ(add(*s, "kitchen", "b"), 2u);
        EXPECT_EQ(add(*s, "garden", "c"), 1u);
    }
    auto s = open();
    EXPECT_EQ(add(*s, "kitchen", "d"), 3u);
    auto latest = s->latest("kitchen", 50);
    ASSERT_EQ(latest.size(), 3u);
    EXPECT_EQ(latest[0].text, "a");
    EXPECT_EQ(latest[2].text, "d");
    EXPECT_EQ(latest[2].seq, 3u);
    EXPECT_EQ(latest[0].from_nick, "alice");
    EXPECT_EQ(latest[0].room, "kitchen");
}

TEST_F(Store, LatestIsOldestFirst)
{
    auto s = open();
    for (int i = 1; i <= 60; ++i)
        add(*s, "kitchen", "m" + std::to_string(i));
    auto latest = s->latest("kitchen", 50);
    ASSERT_EQ(latest.size(), 50u);
    EXPECT_EQ(latest.front().seq, 11u);
    EXPECT_EQ(latest.back().seq, 60u);
    EXPECT_TRUE(s->latest("kitchen", 0).empty());
    EXPECT_TRUE(s->latest("nowhere", 50).empty());
}

TEST_F(Store, KeepsTextExactly)
{
    auto s = open();
    std::string text = "quote' \"double\" \n newline 🙂 ; DROP TABLE chat; --";
    add(*s, "r", text);
    EXPECT_EQ(s->latest("r", 1).at(0).text, text);
}

TEST_F(Store, CorruptFileIsAClearError)
{
    ASSERT_TRUE(g_file_set_contents(path.c_str(), std::string(8192, 'x').c_str(), -1, nullptr));
    std::string error;
    EXPECT_FALSE(ChatStore::open(path, error));
    EXPECT_NE(error.find(path), std::string::npos) << error;
    EXPECT_NE(error.find("not a database"), std::string::npos) << error;
}

TEST_F(Store, UnopenablePathIsAClearError)
{
    std::string error;
    EXPECT_FALSE(ChatStore::open(dir + "/missing/dir/chat.sqlite3", error));
    EXPECT_NE(error.find("chat database"), std::string::npos) << error;
}

TEST_F(Store, GroupCommitSharesOneCommitPerBatch)
{
    store::GroupCommit group;
    auto s = open();
    s->set_group_commit(&group);
    EXPECT_FALSE(group.pending());
    {
        store::GroupCommit::Batch batch(group);
        EXPECT_TRUE(group.batching());
        EXPECT_EQ(add(*s, "kitchen", "one"), 1u);
        EXPECT_EQ(add(*s, "kitchen", "two"), 2u);
    }
    EXPECT_FALSE(group.batching());
    EXPECT_TRUE(group.pending()); // the transaction waits for the hub's commit
    EXPECT_EQ(group.appends(), 2u);
    {
        auto other = open(); // another connection sees nothing uncommitted
        EXPECT_TRUE(other->latest("kitchen", 10).empty());
    }
    std::string error;
    EXPECT_TRUE(group.commit(error)) << error;
    EXPECT_FALSE(group.pending());
    EXPECT_EQ(open()->latest("kitchen", 10).size(), 2u);

    // Outside a batch every append commits on its own.
    EXPECT_EQ(add(*s, "kitchen", "three"), 3u);
    EXPECT_FALSE(group.pending());
    s->set_group_commit(nullptr);
}
