// Unit tests for the admin password hashes (format, iterations, the length limit) and the
// client address buckets of the back-off.
#include "server/client-address.hpp"
#include "server/password-hash.hpp"
#include "util/glib-ptr.hpp"

#include <gtest/gtest.h>

using namespace callbox;
using namespace callbox::server;

TEST(PasswordHash, NewHashesUseOwaspIterationsAndVerify)
{
    const std::string hash = hash_password("correct horse", 2000);
    EXPECT_TRUE(hash.starts_with("$pbkdf2-sha256$2000$")) << hash;
    EXPECT_TRUE(verify_password("correct horse", hash));
    EXPECT_FALSE(verify_password("correct horsE", hash));
    EXPECT_NE(hash_password("correct horse", 2000), hash); // a new salt each time
    EXPECT_EQ(kPasswordIterations, 600000u);
}

TEST(PasswordHash, OlderHashesKeepTheirIterations)
{
    // Made by the 120,000-iteration releases (Python's hashlib.pbkdf2_hmac gives the same).
    const char *old = "$pbkdf2-sha256$120000$AAECAwQFBgcICQoLDA0ODw==$"
                      "LQx3A5lom6a6y+ehEBT1ovXVkl/KvukyTItJ5jnyxGw=";
    EXPECT_TRUE(verify_password("correct horse", old));
    EXPECT_FALSE(verify_password("correct horse!", old));
}

TEST(PasswordHash, LongPasswordsAreRefusedWithoutHashing)
{
    // This hash is of 300 × 'x' (1,000 iterations): right, but over the limit, so refused.
    const char *of_300 = "$pbkdf2-sha256$1000$AAECAwQFBgcICQoLDA0ODw==$"
                         "YhvBmwQyCikMiiikpDjk30wPyXZkXCXyyrM0zm5FIws=";
    EXPECT_FALSE(verify_password(std::string(300, 'x'), of_300));
    EXPECT_FALSE(verify_password(std::string(1 << 20, 'x'), of_300));
    const std::string longest(kMaxPasswordBytes, 'y');
    EXPECT_TRUE(verify_password(longest, hash_password(longest, 1000)));
}

TEST(PasswordHash, MalformedHashesVerifyNothing)
{
    for (const char *bad :
         {"", "$pbkdf2-sha256$", "$pbkdf2-sha1$1000$AAAA$AAAA", "$pbkdf2-sha256$0$AAAA$AAAA",
          "$pbkdf2-sha256$20000000$AAAA$AAAA", "$pbkdf2-sha256$1000$AAAA$"})
        EXPECT_FALSE(verify_password("anything", bad)) << bad;
}

namespace {

std::string bucket_of(const char *ip)
{
    GObjectPtr<GSocketAddress> address = adopt(g_inet_socket_address_new_from_string(ip, 443));
    return guess_bucket(address.get());
}

} // namespace

TEST(ClientAddress, IPv4IsItselfIPv6ItsSlash64)
{
    EXPECT_EQ(bucket_of("192.0.2.7"), "192.0.2.7");
    EXPECT_EQ(bucket_of("::ffff:192.0.2.7"), "192.0.2.7");
    EXPECT_EQ(bucket_of("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
    EXPECT_EQ(bucket_of("2001:db8:1:2::1"), bucket_of("2001:db8:1:2:ffff::9"));
    EXPECT_NE(bucket_of("2001:db8:1:2::1"), bucket_of("2001:db8:1:3::1"));
    EXPECT_EQ(bucket_of("fe80::1234:5678"), "fe80::/64");
    EXPECT_EQ(bucket_of("::1"), "::/64");
    EXPECT_EQ(guess_bucket(static_cast<GSocketAddress *>(nullptr)), "");
}
