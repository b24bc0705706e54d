// Unit tests for RoomRegistry and the text rules: every row and error path without I/O.
#include "protocol/encode.hpp"
#include "rooms/chat-clock.hpp"
#include "rooms/guess-limiter.hpp"
#include "rooms/room-registry.hpp"
#include "rooms/text-rules.hpp"

#include <gtest/gtest.h>

#include <map>

using namespace callbox;
using namespace callbox::rooms;
using protocol::ClientMessage;

namespace {

// Records every frame per connection.
struct RecordingOutbox : Outbox {
    std::map<PeerId, std::vector<std::string>> frames;
    void send(PeerId to, const std::string &json) override { frames[to].push_back(json); }
    std::vector<std::string> take(PeerId id) { return std::exchange(frames[id], {}); }
};

struct MemoryLog : ChatLog {
    std::map<std::string, std::vector<protocol::ChatRecord>> rooms;
    bool fail = false;
    bool no_room = false; // fails as a store at its cap or on a full disk does
    bool append(protocol::ChatRecord &chat, std::string &error) override
    {
        if (fail || no_room) {
            error = "disk full";
            return false;
        }
        auto &list = rooms[chat.room];
        chat.seq = list.size() + 1;
        list.push_back(chat);
        return true;
    }
    bool full() const override { return no_room; }
    std::vector<protocol::ChatRecord> latest(std::string_view room, std::size_t count) override
    {
        auto &list = rooms[std::string(room)];
        std::size_t from = list.size() > count ? list.size() - count : 0;
        return {list.begin() + static_cast<long>(from), list.end()};
    }
};

struct RecordingDevice : DevicePeer {
    std::vector<std::pair<PeerId, protocol::SignalData>> signals;
    std::vector<PeerId> gone;
    void signal(PeerId from, const protocol::SignalData &data) override
    {
        signals.emplace_back(from, data);
    }
    void peer_gone(PeerId peer) override { gone.push_back(peer); }
};

// A `bye` signal to `to`, as the parser makes it.
protocol::Signal bye(std::string to)
{
    return protocol::Signal{std::move(to), protocol::Bye{}, R"({"bye":true})"};
}

class Rooms : public ::testing::Test
{
protected:
    RecordingOutbox out;
    MemoryLog log;
    int list_changes = 0;
    RoomRegistry reg{out, log, RoomSettings{"Living room", 8, 50, "", {}}, [] {
                         return 1000;
                     }};

    void SetUp() override
    {
        reg.set_room_list_listener([this] { ++list_changes; });
    }

    PeerId connect(PeerId id)
    {
        reg.connect(id);
        out.take(id);
        return id;
    }

    PeerId joined(PeerId id, const std::string &room, const std::string &nick)
    {
        connect(id);
        reg.handle(id, protocol::Join{room, nick, std::nullopt});
        auto frames = out.take(id);
        EXPECT_EQ(frames.size(), 1u);
        EXPECT_NE(frames.at(0).find("\"type\":\"joined\""), std::string::npos) << frames.at(0);
        return id;
    }

    void expect_error(PeerId id, const ClientMessage &m, const char *code, const char *re)
    {
        reg.handle(id, m);
        auto frames = out.take(id);
        ASSERT_EQ(frames.size(), 1u);
        EXPECT_NE(frames[0].find(std::string("\"code\":\"") + code + "\""), std::string::npos)
            << frames[0];
        EXPECT_NE(frames[0].find(std::string("\"re\":\"") + re + "\""), std::string::npos)
            << frames[0];
    }
};

} // namespace

TEST(TextRules, Rooms)
{
    EXPECT_EQ(valid_room_name("  kitchen "), "kitchen");
    EXPECT_TRUE(valid_room_name("Küche 2_a-b"));
    EXPECT_TRUE(valid_room_name("кухня"));
    EXPECT_TRUE(valid_room_name("台所"));
    EXPECT_TRUE(valid_room_name("रसोई")); // letters with combining vowel signs
    EXPECT_TRUE(valid_room_name(std::string(32, 'a')));
    EXPECT_FALSE(valid_room_name(std::string(33, 'a')));
    std::string cjk32;
    for (int i = 0; i < 32; ++i)
        cjk32 += "台";
    EXPECT_TRUE(valid_room_name(cjk32));
    EXPECT_FALSE(valid_room_name(cjk32 + "台"));
    EXPECT_FALSE(valid_room_name(""));
    EXPECT_FALSE(valid_room_name("   "));
    EXPECT_FALSE(valid_room_name("a/b"));
    EXPECT_FALSE(valid_room_name("a.b"));
    EXPECT_FALSE(valid_room_name("<script>"));
    EXPECT_FALSE(valid_room_name("a\tb"));
    EXPECT_FALSE(valid_room_name("🙂"));
}

TEST(TextRules, NicksAndText)
{
    EXPECT_EQ(valid_nick(" alice\n"), "alice");
    EXPECT_TRUE(valid_nick("Ünïcode 🙂 <b>"));
    EXPECT_TRUE(valid_nick(std::string(24, 'n')));
    EXPECT_FALSE(valid_nick(std::string(25, 'n')));
    EXPECT_FALSE(valid_nick("a\x01z"));
    EXPECT_FALSE(valid_nick(" "));
    EXPECT_EQ(nick_key("ALICE"), nick_key("alice"));
    EXPECT_EQ(nick_key("Straße"), nick_key("STRASSE"));
    EXPECT_EQ(nick_key("e\xcc\x81"), nick_key("\xc3\xa9")); // é decomposed and composed
    EXPECT_TRUE(valid_text(std::string(2000, 'x')));
    EXPECT_FALSE(valid_text(std::string(2001, 'x')));
    std::string emoji2000;
    for (int i = 0; i < 2000; ++i)
        emoji2000 += "🙂";
    EXPECT_TRUE(valid_text(emoji2000));
    EXPECT_EQ(valid_text("  two\nlines  "), "two\nlines");
    EXPECT_FALSE(valid_text(" \n\t "));
    EXPECT_FALSE(valid_text("\xff"));
}

TEST_F(Rooms, WelcomeListsRooms)
{
    joined(1, "kitchen", "alice");
    reg.connect(2);
    auto frames = out.take(2);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(
        frames[0],
        R"({"type":"welcome","id":"p2","device":{"id":"device","name":"Living room"},"rooms":[{"name":"kitchen","count":1}],"protocol":1})");
}

TEST_F(Rooms, JoinTellsOthersAndListsPeers)
{
    joined(1, "kitchen", "bob");
    connect(2);
    reg.handle(2, protocol::Join{" kitchen ", " alice ", std::nullopt});
    auto frames = out.take(2);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(
        frames[0],
        R"({"type":"joined","room":"kitchen","id":"p2","nick":"alice","peers":[{"id":"p1","nick":"bob"}],"history":[]})");
    auto others = out.take(1);
    ASSERT_EQ(others.size(), 1u);
    EXPECT_EQ(others[0],
              R"({"type":"peer-joined","room":"kitchen","peer":{"id":"p2","nick":"alice"}})");
    auto counts = reg.room_counts();
    ASSERT_EQ(counts.size(), 1u);
    EXPECT_EQ(counts[0].count, 2u);
    EXPECT_GE(list_changes, 1);
}

TEST_F(Rooms, MovingLeavesFirst)
{
    joined(1, "kitchen", "alice");
    joined(2, "kitchen", "bob");
    out.take(1);
    reg.handle(1, protocol::Join{"garden", "alice", std::nullopt});
    auto frames = out.take(1);
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_EQ(frames[0], R"({"type":"left","room":"kitchen"})");
    EXPECT_NE(frames[1].find(R"("type":"joined","room":"garden")"), std::string::npos);
    EXPECT_EQ(out.take(2).at(0),
              R"({"type":"peer-left","room":"kitchen","peer":{"id":"p1","nick":"alice"}})");
}

TEST_F(Rooms, LeaveAndDisconnect)
{
    joined(1, "kitchen", "alice");
    joined(2, "kitchen", "bob");
    out.take(1);
    reg.handle(1, protocol::Leave{});
    EXPECT_EQ(out.take(1).at(0), R"({"type":"left","room":"kitchen"})");
    EXPECT_EQ(out.take(2).at(0),
              R"({"type":"peer-left","room":"kitchen","peer":{"id":"p1","nick":"alice"}})");
    expect_error(1, protocol::Leave{}, "not-in-room", "leave");
    reg.disconnect(2);
    EXPECT_TRUE(reg.room_counts().empty()); // the room vanished with its last browser
    EXPECT_EQ(reg.connection_count(), 1u);
}

TEST_F(Rooms, ChatGoesToEveryoneWithSeq)
{
    joined(1, "kitchen", "alice");
    joined(2, "kitchen", "bob");
    joined(3, "garden", "carol");
    out.take(1);
    reg.handle(1, protocol::Chat{"  hi  "});
    const char *expected =
        R"({"type":"chat","room":"kitchen","seq":1,"from":{"id":"p1","nick":"alice"},"text":"hi","ts":1000})";
    EXPECT_EQ(out.take(1).at(0), expected);
    EXPECT_EQ(out.take(2).at(0), expected);
    EXPECT_TRUE(out.take(3).empty());
    reg.handle(2, protocol::Chat{"again"});
    EXPECT_NE(out.take(1).at(0).find("\"seq\":2"), std::string::npos);
}

TEST_F(Rooms, HistoryReplaysLatest)
{
    joined(1, "kitchen", "alice");
    for (int i = 1; i <= 60; ++i)
        reg.handle(1, protocol::Chat{"m" + std::to_string(i)});
    connect(2);
    reg.handle(2, protocol::Join{"kitchen", "bob", std::nullopt});
    auto frame = out.take(2).at(0);
    EXPECT_NE(frame.find("\"seq\":11,"), std::string::npos);
    EXPECT_EQ(frame.find("\"seq\":10,"), std::string::npos);
    EXPECT_LT(frame.find("\"text\":\"m11\""), frame.find("\"text\":\"m60\""));
}

TEST_F(Rooms, StorageFailureSendsNothing)
{
    joined(1, "kitchen", "alice");
    joined(2, "kitchen", "bob");
    out.take(1);
    log.fail = true;
    expect_error(1, protocol::Chat{"lost?"}, "storage-error", "chat");
    EXPECT_TRUE(out.take(2).empty());
    // A store with no room left (its cap, a full disk) says so with its own code.
    log.fail = false;
    log.no_room = true;
    expect_error(1, protocol::Chat{"no room?"}, "storage-full", "chat");
    EXPECT_TRUE(out.take(2).empty());
}

TEST_F(Rooms, WhisperOnlyToTarget)
{
    joined(1, "kitchen", "alice");
    joined(2, "kitchen", "bob");
    joined(3, "kitchen", "carol");
    out.take(1);
    out.take(2);
    reg.handle(1, protocol::Whisper{"p2", "psst"});
    const char *expected =
        R"({"type":"whisper","from":{"id":"p1","nick":"alice"},"to":{"id":"p2","nick":"bob"},"text":"psst","ts":1000})";
    EXPECT_EQ(out.take(1).at(0), expected);
    EXPECT_EQ(out.take(2).at(0), expected);
    EXPECT_TRUE(out.take(3).empty());
}

TEST_F(Rooms, WhisperErrors)
{
    joined(1, "kitchen", "alice");
    joined(2, "garden", "bob");
    expect_error(1, protocol::Whisper{"p2", "x"}, "unknown-peer", "whisper");
    expect_error(1, protocol::Whisper{"device", "x"}, "unknown-peer", "whisper");
    expect_error(1, protocol::Whisper{"p99", "x"}, "unknown-peer", "whisper");
    expect_error(1, protocol::Whisper{"p1x", "x"}, "unknown-peer", "whisper");
    expect_error(1, protocol::Whisper{"p1", " "}, "bad-text", "whisper");
    connect(5);
    expect_error(5, protocol::Whisper{"p1", "x"}, "not-in-room", "whisper");
}

TEST_F(Rooms, NickChange)
{
    joined(1, "kitchen", "alice");
    joined(2, "kitchen", "bob");
    out.take(1);
    reg.handle(1, protocol::Nick{"al"});
    const char *expected =
        R"({"type":"nick-changed","room":"kitchen","id":"p1","old":"alice","nick":"al"})";
    EXPECT_EQ(out.take(1).at(0), expected);
    EXPECT_EQ(out.take(2).at(0), expected);
    expect_error(1, protocol::Nick{"BOB"}, "nick-taken", "nick");
    expect_error(1, protocol::Nick{""}, "bad-nick", "nick");
    reg.handle(1, protocol::Nick{"AL"}); // a case change of one's own nick is fine
    EXPECT_NE(out.take(1).at(0).find("\"nick\":\"AL\""), std::string::npos);
    connect(3);
    expect_error(3, protocol::Nick{"x"}, "not-in-room", "nick");
}

TEST_F(Rooms, ChatErrors)
{
    connect(1);
    expect_error(1, protocol::Chat{"hi"}, "not-in-room", "chat");
    reg.handle(1, protocol::Join{"kitchen", "alice", std::nullopt});
    out.take(1);
    expect_error(1, protocol::Chat{""}, "bad-text", "chat");
    expect_error(1, protocol::Chat{std::string(2001, 'x')}, "bad-text", "chat");
    EXPECT_TRUE(log.rooms["kitchen"].empty()); // refused messages use no seq
}

TEST_F(Rooms, JoinErrorsInOrder)
{
    for (PeerId id = 1; id <= 8; ++id)
        joined(id, "kitchen", "n" + std::to_string(id));
    connect(9);
    // Every rule broken at once: bad-room comes first, then bad-nick, room-full, nick-taken.
    expect_error(9, protocol::Join{"bad/room", "", std::nullopt}, "bad-room", "join");
    expect_error(9, protocol::Join{"kitchen", "", std::nullopt}, "bad-nick", "join");
    expect_error(9, protocol::Join{"kitchen", "N1", std::nullopt}, "room-full", "join");
    reg.disconnect(8);
    out.take(1);
    expect_error(9, protocol::Join{"kitchen", "N1", std::nullopt}, "nick-taken", "join");
    reg.handle(9, protocol::Join{"kitchen", "n9", std::nullopt});
    EXPECT_NE(out.take(9).at(0).find("\"type\":\"joined\""), std::string::npos);
}

TEST_F(Rooms, FailedJoinKeepsCurrentRoom)
{
    joined(1, "kitchen", "alice");
    joined(2, "garden", "bob");
    expect_error(1, protocol::Join{"garden", "BOB", std::nullopt}, "nick-taken", "join");
    reg.handle(1, protocol::Chat{"still here"});
    EXPECT_EQ(log.rooms["kitchen"].size(), 1u);
}

TEST_F(Rooms, JoiningOwnRoomIsRefusedAndChangesNothing)
{
    joined(1, "kitchen", "alice");
    joined(2, "kitchen", "bob");
    reg.handle(1, protocol::Chat{"history"});
    out.take(1);
    out.take(2);
    // The same room, also with another nick or spelt with surrounding space: no history again.
    expect_error(1, protocol::Join{"kitchen", "ALICE", std::nullopt}, "already-in-room", "join");
    expect_error(1, protocol::Join{" kitchen ", "alice", std::nullopt}, "already-in-room", "join");
    EXPECT_TRUE(out.take(2).empty()); // the others see nothing
    // A bad nick is still reported first, and another room is a real move.
    expect_error(1, protocol::Join{"kitchen", "", std::nullopt}, "bad-nick", "join");
    reg.handle(1, protocol::Join{"garden", "alice", std::nullopt});
    EXPECT_EQ(out.take(1).at(0), R"({"type":"left","room":"kitchen"})");
}

TEST_F(Rooms, AccessCode)
{
    reg.update_settings(RoomSettings{"Living room", 8, 50, "1234", {}});
    connect(1);
    expect_error(1, protocol::Join{"kitchen", "alice", std::nullopt}, "forbidden", "join");
    expect_error(1, protocol::Join{"bad/room", "", std::string("0000")}, "forbidden", "join");
    reg.handle(1, protocol::Join{"kitchen", "alice", std::string("1234")});
    EXPECT_NE(out.take(1).at(0).find("\"type\":\"joined\""), std::string::npos);
}

TEST_F(Rooms, RoomListBroadcastToEveryone)
{
    joined(1, "kitchen", "alice");
    connect(2);
    reg.handle(2, protocol::ListRooms{});
    EXPECT_EQ(out.take(2).at(0), R"({"type":"rooms","rooms":[{"name":"kitchen","count":1}]})");
    reg.broadcast_room_list();
    EXPECT_EQ(out.take(1).size(), 1u);
    EXPECT_EQ(out.take(2).size(), 1u);
}

TEST_F(Rooms, SignalRelay)
{
    joined(1, "kitchen", "alice");
    joined(2, "kitchen", "bob");
    joined(3, "garden", "carol");
    out.take(1);
    reg.handle(1, bye("p2"));
    EXPECT_TRUE(out.take(1).empty()); // no echo
    EXPECT_EQ(out.take(2).at(0), R"({"type":"signal","from":"p1","data":{"bye":true}})");
    expect_error(1, bye("p3"), "unknown-peer", "signal");
    expect_error(1, bye("p1"), "unknown-peer", "signal");
    // Without media the device is in no room.
    expect_error(1, bye("device"), "unknown-peer", "signal");
    connect(4);
    expect_error(4, bye("p1"), "not-in-room", "signal");
}

TEST_F(Rooms, SignalToDeviceAndCleanup)
{
    RecordingDevice device;
    reg.set_device_peer(&device);
    reg.set_device_media(true, false);
    connect(1);
    reg.handle(1, protocol::Join{"kitchen", "alice", std::nullopt});
    auto frames = out.take(1);
    ASSERT_EQ(frames.size(), 2u); // joined, then the device's own mute state
    EXPECT_NE(frames[0].find(R"("peers":[{"id":"device","nick":"Living room","device":true}])"),
              std::string::npos)
        << frames[0];
    EXPECT_EQ(frames[1], R"({"type":"media","id":"device","audio":true,"video":false})");
    reg.set_device_media(false, false);
    EXPECT_EQ(out.take(1).at(0), R"({"type":"media","id":"device","audio":false,"video":false})");
    reg.handle(1, protocol::Signal{"device",
                                   protocol::SessionDescription{
                                       protocol::SessionDescription::Type::Offer, "v=0"},
                                   R"({"sdp":{"type":"offer","sdp":"v=0"}})"});
    ASSERT_EQ(device.signals.size(), 1u);
    EXPECT_EQ(device.signals[0].first, 1u);
    const auto *offer = std::get_if<protocol::SessionDescription>(&device.signals[0].second);
    ASSERT_TRUE(offer);
    EXPECT_EQ(offer->sdp, "v=0");
    reg.disconnect(1);
    ASSERT_EQ(device.gone.size(), 1u);
    EXPECT_EQ(device.gone[0], 1u);
}

TEST_F(Rooms, MediaRelayedToOthers)
{
    joined(1, "kitchen", "alice");
    joined(2, "kitchen", "bob");
    out.take(1);
    reg.handle(1, protocol::Media{false, true});
    EXPECT_TRUE(out.take(1).empty());
    EXPECT_EQ(out.take(2).at(0), R"({"type":"media","id":"p1","audio":false,"video":true})");
    connect(3);
    expect_error(3, protocol::Media{true, true}, "not-in-room", "media");
}

TEST(RoomsAccessCode, WrongCodesSlowDown)
{
    RecordingOutbox out;
    MemoryLog log;
    std::int64_t now = 1000000;
    RoomRegistry reg(out, log, RoomSettings{"Living room", 8, 50, "1234", {}},
                     [&now] { return now; });
    reg.connect(1, "192.0.2.7");
    reg.connect(2, "192.0.2.8");
    auto code_of = [&](PeerId id, const char *code) {
        reg.handle(id, protocol::Join{"kitchen", "n" + std::to_string(id), std::string(code)});
        return out.take(id).back();
    };
    out.take(1);
    out.take(2);
    for (int i = 0; i < 3; ++i)
        EXPECT_NE(code_of(1, "0000").find("access code is wrong"), std::string::npos);
    EXPECT_NE(code_of(1, "0000").find("access code is wrong"), std::string::npos); // 4th: blocks
    // Even the right code waits now, from that client; another client is not held up.
    EXPECT_NE(code_of(1, "1234").find("try again in 2 s"), std::string::npos);
    EXPECT_NE(code_of(2, "1234").find("\"type\":\"joined\""), std::string::npos);
    now += 2000;
    EXPECT_NE(code_of(1, "1234").find("\"type\":\"joined\""), std::string::npos);
}

TEST(GuessLimiter, EachBucketWaitsLongerAfterItsFreeTries)
{
    GuessLimiter g(GuessPolicy{3, 60, 1000});
    std::int64_t now = 1000000;
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(g.wait_ms("192.0.2.7", now), 0);
        g.failed("192.0.2.7", now);
    }
    EXPECT_EQ(g.wait_ms("192.0.2.7", now), 0); // three free tries
    g.failed("192.0.2.7", now);
    EXPECT_EQ(g.wait_ms("192.0.2.7", now), 2000);
    EXPECT_EQ(g.wait_ms("192.0.2.8", now), 0); // another bucket is not held up
    now += 2000;
    g.failed("192.0.2.7", now);
    EXPECT_EQ(g.wait_ms("192.0.2.7", now), 4000);
    for (int i = 0; i < 10; ++i)
        g.failed("192.0.2.7", now);
    EXPECT_EQ(g.wait_ms("192.0.2.7", now), 60000); // at most max_wait_s
    g.succeeded("192.0.2.7");
    EXPECT_EQ(g.wait_ms("192.0.2.7", now), 0);
}

TEST(GuessLimiter, AnUsedUpBudgetSlowsEveryWrongGuessButRefusesNoFreshBucket)
{
    GuessLimiter g(GuessPolicy{3, 60, 4});
    std::int64_t now = 1000000;
    // Four wrong guesses from four addresses use up the device's budget for a minute.
    for (int i = 0; i < 4; ++i)
        g.failed("198.51.100." + std::to_string(i), now);
    EXPECT_TRUE(g.slow(now));
    for (int i = 0; i < 4; ++i)
        EXPECT_EQ(g.wait_ms("198.51.100." + std::to_string(i), now), 0);
    // A fresh bucket is still heard at once: nobody is locked out by someone else's guesses.
    EXPECT_EQ(g.wait_ms("203.0.113.9", now), 0);
    // But a wrong guess now waits the longest at once, free tries or not.
    g.failed("203.0.113.9", now);
    EXPECT_EQ(g.wait_ms("203.0.113.9", now), 60000);
    // The budget refills: 15 s later one more wrong guess is an ordinary one.
    now += 15000;
    EXPECT_FALSE(g.slow(now));
    g.failed("198.51.100.0", now);
    EXPECT_EQ(g.wait_ms("198.51.100.0", now), 0);
}

TEST(GuessLimiter, KeepsAtMostItsBucketLimit)
{
    GuessLimiter g(GuessPolicy{0, 1, 100000});
    std::int64_t now = 1000000;
    for (std::size_t i = 0; i < GuessLimiter::kMaxBuckets + 100; ++i)
        g.failed("b" + std::to_string(i), now + static_cast<std::int64_t>(i));
    EXPECT_LE(g.bucket_count(), GuessLimiter::kMaxBuckets);
    // The newest bucket is still counted.
    EXPECT_GT(g.wait_ms("b" + std::to_string(GuessLimiter::kMaxBuckets + 99), now + 4200), 0);
}

// ChatClock: stamps follow the wall clock forward and never go back when it jumps back.
TEST(ChatClock, FollowsTheWallClockAndAForwardJump)
{
    callbox::rooms::ChatClock clock;
    EXPECT_EQ(clock.stamp(1'000'000, 0), 1'000'000);
    EXPECT_EQ(clock.stamp(1'000'500, 500'000), 1'000'500);
    EXPECT_EQ(clock.stamp(5'000'000'000, 600'000), 5'000'000'000); // NTP synced years later
}

TEST(ChatClock, CarriesOnAtTheMonotonicPaceAfterABackwardJump)
{
    callbox::rooms::ChatClock clock;
    EXPECT_EQ(clock.stamp(10'000'000, 1'000'000), 10'000'000);
    // The wall clock goes back an hour; 2 s passed: the stamp is 2 s after the last one.
    EXPECT_EQ(clock.stamp(10'000'000 - 3'600'000 + 2'000, 3'000'000), 10'002'000);
    EXPECT_EQ(clock.stamp(10'000'000 - 3'600'000 + 2'500, 3'500'000), 10'002'500);
    // Two messages in the same millisecond keep their order (equal stamps, never less).
    EXPECT_EQ(clock.stamp(10'000'000 - 3'600'000 + 2'500, 3'500'100), 10'002'500);
    // The wall clock catches up and leads again.
    EXPECT_EQ(clock.stamp(10'100'000, 4'000'000), 10'100'000);
}

TEST(ChatClock, StartsAfterTheNewestStoredStampWhenBootedWithAnOldClock)
{
    // fake-hwclock restored a time before the last stored message.
    callbox::rooms::ChatClock clock(20'000'000);
    EXPECT_EQ(clock.stamp(15'000'000, 7'000'000), 20'000'000);
    EXPECT_EQ(clock.stamp(15'001'000, 8'000'000), 20'001'000);
}
