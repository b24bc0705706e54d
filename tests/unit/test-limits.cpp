// Unit tests of the bounds on what a client can hold: the WebSocket message meter and the
// connection gate.
#include "loop/message-meter.hpp"
#include "server/connection-gate.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

using callbox::loop::MessageMeter;
using callbox::server::ConnectionGate;
using callbox::server::ConnectionLimits;

namespace {

// A client frame (masked, as clients send them) with `length` payload bytes of 'x'.
std::vector<std::uint8_t> frame(std::uint8_t opcode, bool fin, std::uint64_t length)
{
    std::vector<std::uint8_t> f{static_cast<std::uint8_t>((fin ? 0x80 : 0) | opcode)};
    if (length < 126) {
        f.push_back(static_cast<std::uint8_t>(0x80 | length));
    } else if (length <= 0xffff) {
        f.push_back(0x80 | 126);
        f.push_back(static_cast<std::uint8_t>(length >> 8));
        f.push_back(static_cast<std::uint8_t>(length));
    } else {
        f.push_back(0x80 | 127);
        for (int shift = 56; shift >= 0; shift -= 8)
            f.push_back(static_cast<std::uint8_t>(length >> shift));
    }
    for (std::uint8_t m : {1, 2, 3, 4}) // the mask
        f.push_back(m);
    f.resize(f.size() + length, 'x');
    return f;
}

std::vector<std::uint8_t> operator+(std::vector<std::uint8_t> a, const std::vector<std::uint8_t> &b)
{
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

// Feeds `bytes` to the meter in pieces of `step` bytes; returns how many it let through. (The
// first bytes of the tripping frame's header may have passed in earlier pieces: up to 13.)
std::size_t feed(MessageMeter &meter, const std::vector<std::uint8_t> &bytes, std::size_t step)
{
    std::size_t passed = 0;
    for (std::size_t at = 0; at < bytes.size(); at += step) {
        const std::size_t n = std::min(step, bytes.size() - at);
        const std::size_t keep = meter.scan(bytes.data() + at, n);
        passed += keep;
        if (keep < n)
            break;
    }
    return passed;
}

} // namespace

TEST(MessageMeter, PassesMessagesUpToTheLimitWhateverTheReadSizes)
{
    const auto stream = frame(0x1, true, 100) + frame(0x1, false, 60) + frame(0x0, false, 0) +
                        frame(0x9, true, 4) + frame(0x0, true, 40) + frame(0x1, true, 100);
    for (std::size_t step : {1u, 2u, 3u, 7u, 1000u}) {
        MessageMeter meter(100);
        EXPECT_EQ(feed(meter, stream, step), stream.size()) << "reads of " << step;
        EXPECT_FALSE(meter.tripped());
    }
}

TEST(MessageMeter, StopsAtTheHeaderOfTheFrameThatGoesPast)
{
    // One frame too large: nothing of it passes, only what came before.
    const auto ok = frame(0x1, true, 10);
    for (std::size_t step : {1u, 5u, 1000u}) {
        MessageMeter meter(100);
        const std::size_t passed = feed(meter, ok + frame(0x1, true, 101) + ok, step);
        EXPECT_GE(passed, ok.size());
        EXPECT_LT(passed, ok.size() + 8) << "reads of " << step; // that header has 8 bytes
        EXPECT_TRUE(meter.tripped());
        EXPECT_EQ(meter.scan(ok.data(), ok.size()), 0u); // and nothing afterwards
    }
    // Fragments that add up past the limit: the fragment that crosses it is held back.
    const auto first = frame(0x1, false, 60);
    MessageMeter meter(100);
    EXPECT_EQ(feed(meter, first + frame(0x0, false, 40) + frame(0x0, true, 1), 4096),
              first.size() + frame(0x0, false, 40).size());
    EXPECT_TRUE(meter.tripped());
}

TEST(MessageMeter, LengthsThatWouldOverflowAndBigControlFramesTrip)
{
    MessageMeter huge(65536);
    // A 2^64 - 1 byte text frame: length 127, eight bytes of 0xff, then the mask.
    std::vector<std::uint8_t> header{0x81, 0x80 | 127};
    header.resize(10, 0xff);
    for (std::uint8_t m : {1, 2, 3, 4})
        header.push_back(m);
    EXPECT_EQ(huge.scan(header.data(), header.size()), 0u);
    EXPECT_TRUE(huge.tripped());
    MessageMeter ping(100);
    EXPECT_LT(feed(ping, frame(0x9, true, 101), 3), 8u); // none of its payload
    EXPECT_TRUE(ping.tripped());
}

namespace {

ConnectionGate::Client client(const char *text)
{
    GInetAddress *address = g_inet_address_new_from_string(text);
    auto c = ConnectionGate::client_of(address);
    g_object_unref(address);
    return c;
}

} // namespace

TEST(ConnectionGate, CountsPerAddressPerPrefixAndInAll)
{
    ConnectionGate gate;
    const ConnectionLimits limits{6, 2, 3};
    using V = ConnectionGate::Verdict;
    EXPECT_EQ(gate.admit(client("192.168.1.20"), limits), V::Admitted);
    // An IPv4-mapped IPv6 address is the same IPv4 client.
    EXPECT_EQ(client("::ffff:192.168.1.20").text, "192.168.1.20");
    EXPECT_EQ(gate.admit(client("::ffff:192.168.1.20"), limits), V::Admitted);
    EXPECT_EQ(gate.admit(client("192.168.1.20"), limits), V::Address);
    // Three addresses of one /64 share its quota; another /64 does not.
    EXPECT_EQ(gate.admit(client("2001:db8:1:2::a"), limits), V::Admitted);
    EXPECT_EQ(gate.admit(client("2001:db8:1:2::b"), limits), V::Admitted);
    EXPECT_EQ(gate.admit(client("2001:db8:1:2:ffff::c"), limits), V::Admitted);
    EXPECT_EQ(gate.admit(client("2001:db8:1:2::d"), limits), V::Prefix);
    EXPECT_EQ(gate.admit(client("2001:db8:1:3::a"), limits), V::Admitted);
    EXPECT_EQ(gate.admit(client("2001:db8:1:3::b"), limits), V::Total);
    EXPECT_EQ(gate.open(), 6u);
    // A connection that goes frees its place in each count.
    gate.release(client("2001:db8:1:2::b"));
    EXPECT_EQ(gate.admit(client("2001:db8:1:2::d"), limits), V::Admitted);
    EXPECT_EQ(gate.admit(client("2001:db8:1:4::a"), limits), V::Total);
    gate.release(client("::ffff:192.168.1.20"));
    EXPECT_EQ(gate.admit(client("192.168.1.20"), limits), V::Admitted);
    EXPECT_EQ(gate.open(), 6u);
}
