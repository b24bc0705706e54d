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

TEST_F(Store, EachRoomKeepsItsLatestMessagesOnly)
{
    auto s = open();
    s->set_limits({5, 0});
    for (int i = 1; i <= 12; ++i)
        add(*s, "kitchen", "k" + std::to_string(i));
    for (int i = 1; i <= 3; ++i)
        add(*s, "garden", "g" + std::to_string(i));
    auto kitchen = s->latest("kitchen", 50);
    ASSERT_EQ(kitchen.size(), 5u);
    EXPECT_EQ(kitchen.front().seq, 8u);
    EXPECT_EQ(kitchen.back().text, "k12");
    EXPECT_EQ(s->latest("garden", 50).size(), 3u); // other rooms keep theirs
    // Inside a group-commit batch the pruning is in the batch's transaction.
    store::GroupCommit group;
    s->set_group_commit(&group);
    {
        store::GroupCommit::Batch batch(group);
        EXPECT_EQ(add(*s, "kitchen", "k13"), 13u);
        EXPECT_EQ(add(*s, "kitchen", "k14"), 14u);
    }
    std::string error;
    ASSERT_TRUE(group.commit(error)) << error;
    s->set_group_commit(nullptr);
    s.reset();
    // seq goes on after a reopen, from the latest kept message.
    s = open();
    EXPECT_EQ(add(*s, "kitchen", "k15"), 15u);
    kitchen = s->latest("kitchen", 50);
    ASSERT_EQ(kitchen.size(), 6u); // no limits set on this handle: nothing pruned
    EXPECT_EQ(kitchen.front().seq, 10u);
}

TEST_F(Store, PrunedPagesAreReused)
{
    auto s = open();
    s->set_limits({10, 0});
    const std::string text(4000, 'x');
    for (int i = 0; i < 50; ++i)
        add(*s, "kitchen", text);
    const std::uint64_t settled = s->used_bytes();
    for (int i = 0; i < 500; ++i)
        add(*s, "kitchen", text);
    // 500 more messages of 4 KB (2 MB) take no more room than the 10 kept ones did.
    EXPECT_LE(s->used_bytes(), settled + 16 * 1024);
    EXPECT_LT(s->used_bytes(), 200u * 1024);
}

TEST_F(Store, PastTheByteCapAppendIsRefusedAsFull)
{
    auto s = open();
    const std::string text(8000, 'y');
    add(*s, "kitchen", "before");
    s->set_limits({1000, s->used_bytes() + 64 * 1024});
    std::vector<std::uint64_t> acked;
    std::string error;
    for (int i = 0; i < 100; ++i) {
        protocol::ChatRecord c{"kitchen", 0, "p1", "alice", text, 1000};
        if (!s->append(c, error))
            break;
        acked.push_back(c.seq);
    }
    EXPECT_TRUE(s->full());
    EXPECT_NE(error.find("size limit"), std::string::npos) << error;
    EXPECT_GE(acked.size(), 4u);
    EXPECT_LE(acked.size(), 10u);
    // Every acknowledged message is kept; the refused one used no seq.
    auto kept = s->latest("kitchen", 1000);
    ASSERT_EQ(kept.size(), acked.size() + 1);
    EXPECT_EQ(kept.back().seq, acked.back());
    // Refused inside a batch: the batch's earlier messages are still committed.
    s->set_limits({1000, 0});
    store::GroupCommit group;
    s->set_group_commit(&group);
    {
        store::GroupCommit::Batch batch(group);
        EXPECT_EQ(add(*s, "kitchen", "in the batch"), acked.back() + 1);
        s->set_limits({1000, 1});
        protocol::ChatRecord c{"kitchen", 0, "p1", "alice", "refused", 1000};
        EXPECT_FALSE(s->append(c, error));
        EXPECT_TRUE(s->full());
    }
    ASSERT_TRUE(group.commit(error)) << error;
    EXPECT_EQ(s->latest("kitchen", 1).at(0).text, "in the batch");
    s->set_group_commit(nullptr);
    // A raised cap takes messages again.
    s->set_limits({1000, 0});
    EXPECT_EQ(add(*s, "kitchen", "after"), acked.back() + 2);
    EXPECT_FALSE(s->full());
}

namespace {

// A store whose commit fails as a full disk's would.
struct FullDisk : store::GroupCommit::Participant {
    bool commit_batch(std::string &error) override
    {
        error = "the disk is full";
        return false;
    }
    bool full() const override { return true; }
};

} // namespace

TEST(GroupCommit, SaysWhenACommitFailedForWantOfRoom)
{
    store::GroupCommit group;
    FullDisk disk;
    group.enlist(&disk);
    std::string error;
    EXPECT_FALSE(group.commit(error));
    EXPECT_TRUE(group.full());
    EXPECT_EQ(error, "the disk is full");
    EXPECT_TRUE(group.commit(error)); // nothing enlisted: nothing to fail
    EXPECT_FALSE(group.full());
}
