// Unit tests for the protocol codec: every parse rule and the exact JSON of every encoder.
#include "protocol/encode.hpp"
#include "protocol/json-writer.hpp"
#include "protocol/parser.hpp"

#include <gtest/gtest.h>

using namespace callbox::protocol;

namespace {

ParseResult parse(std::string_view text)
{
    return MessageParser().parse(text);
}

void expect_error(std::string_view text, ErrorCode code, std::string_view re = "")
{
    auto r = parse(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(error_code_name(r.error().code), error_code_name(code)) << text;
    EXPECT_EQ(r.error().re, re) << text;
    EXPECT_FALSE(r.error().message.empty());
}

template <typename T> T parse_as(std::string_view text)
{
    auto r = parse(text);
    EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().message);
    return std::get<T>(r.message());
}

} // namespace

TEST(Parser, Join)
{
    auto j = parse_as<Join>(R"({"type":"join","room":"kitchen","nick":"alice"})");
    EXPECT_EQ(j.room, "kitchen");
    EXPECT_EQ(j.nick, "alice");
    EXPECT_FALSE(j.code);
    j = parse_as<Join>(R"({"type":"join","room":"k","nick":"a","code":"1234","extra":[1]})");
    EXPECT_EQ(j.code.value_or(""), "1234");
}

TEST(Parser, EveryType)
{
    parse_as<Leave>(R"({"type":"leave"})");
    EXPECT_EQ(parse_as<Nick>(R"({"type":"nick","nick":"al"})").nick, "al");
    EXPECT_EQ(parse_as<Chat>(R"({"type":"chat","text":"hi"})").text, "hi");
    auto w = parse_as<Whisper>(R"({"type":"whisper","to":"p3","text":"psst"})");
    EXPECT_EQ(w.to, "p3");
    EXPECT_EQ(w.text, "psst");
    parse_as<ListRooms>(R"({"type":"list-rooms"})");
    auto m = parse_as<Media>(R"({"type":"media","audio":false,"video":true})");
    EXPECT_FALSE(m.audio);
    EXPECT_TRUE(m.video);
}

TEST(Parser, SignalKeepsData)
{
    auto s = parse_as<Signal>(
        R"({"type":"signal","to":"p2","data":{"ice":{"candidate":"candidate:1 1 udp 1 127.0.0.1 5000 typ host","sdpMid":null,"sdpMLineIndex":0,"usernameFragment":"abc"}}})");
    EXPECT_EQ(s.to, "p2");
    EXPECT_NE(s.data_json.find("\"usernameFragment\":\"abc\""), std::string::npos);
    EXPECT_NE(s.data_json.find("\"sdpMid\":null"), std::string::npos);
    const auto &ice = std::get<IceCandidate>(s.data);
    EXPECT_EQ(ice.candidate, "candidate:1 1 udp 1 127.0.0.1 5000 typ host");
    EXPECT_FALSE(ice.mid); // null
    EXPECT_EQ(ice.mline_index, 0);
}

TEST(Parser, SignalDataIsTyped)
{
    auto offer = std::get<SessionDescription>(
        parse_as<Signal>(
            R"({"type":"signal","to":"device","data":{"sdp":{"type":"offer","sdp":"v=0"}}})")
            .data);
    EXPECT_EQ(offer.type, SessionDescription::Type::Offer);
    EXPECT_EQ(offer.sdp, "v=0");
    auto answer = std::get<SessionDescription>(
        parse_as<Signal>(R"({"type":"signal","to":"p2","data":{"sdp":{"type":"answer","sdp":""}}})")
            .data);
    EXPECT_EQ(answer.type, SessionDescription::Type::Answer);
    EXPECT_TRUE(std::holds_alternative<Bye>(
        parse_as<Signal>(R"({"type":"signal","to":"p2","data":{"bye":true}})").data));
    auto end = std::get<IceCandidate>(
        parse_as<Signal>(R"({"type":"signal","to":"p2","data":{"ice":{"candidate":""}}})").data);
    EXPECT_EQ(end.candidate, "");
    EXPECT_FALSE(end.mid);
    EXPECT_FALSE(end.mline_index);
    auto by_mid = std::get<IceCandidate>(
        parse_as<Signal>(
            R"({"type":"signal","to":"p2","data":{"ice":{"candidate":"c","sdpMid":"1","sdpMLineIndex":null}}})")
            .data);
    EXPECT_EQ(by_mid.mid, "1");
    EXPECT_FALSE(by_mid.mline_index);
}

TEST(Parser, BadJson)
{
    expect_error("nope", ErrorCode::BadJson);
    expect_error("{\"type\":", ErrorCode::BadJson);
    expect_error("", ErrorCode::BadJson);
    expect_error("{\"type\":\"chat\",\"text\":\"\xff\"}", ErrorCode::BadJson);
}

TEST(Parser, NotAnObject)
{
    expect_error("[1,2]", ErrorCode::BadMessage);
    expect_error("42", ErrorCode::BadMessage);
    expect_error("\"chat\"", ErrorCode::BadMessage);
    expect_error("null", ErrorCode::BadMessage);
    expect_error("{}", ErrorCode::BadMessage);
    expect_error(R"({"type":7})", ErrorCode::BadMessage);
}

TEST(Parser, UnknownTypeAndMembers)
{
    expect_error(R"({"type":"dance"})", ErrorCode::BadMessage, "dance");
    expect_error(R"({"type":"join","room":"k"})", ErrorCode::BadMessage, "join");
    expect_error(R"({"type":"join","room":1,"nick":"a"})", ErrorCode::BadMessage, "join");
    expect_error(R"({"type":"join","room":"k","nick":"a","code":5})", ErrorCode::BadMessage,
                 "join");
    expect_error(R"({"type":"chat"})", ErrorCode::BadMessage, "chat");
    expect_error(R"({"type":"chat","text":null})", ErrorCode::BadMessage, "chat");
    expect_error(R"({"type":"whisper","text":"x"})", ErrorCode::BadMessage, "whisper");
    expect_error(R"({"type":"nick","nick":["a"]})", ErrorCode::BadMessage, "nick");
    expect_error(R"({"type":"media","audio":1,"video":true})", ErrorCode::BadMessage, "media");
    expect_error(R"({"type":"media","audio":true})", ErrorCode::BadMessage, "media");
}

TEST(Parser, MalformedSignalData)
{
    const char *bad[] = {
        R"({"type":"signal","to":"p2"})",
        R"({"type":"signal","to":"p2","data":"x"})",
        R"({"type":"signal","to":"p2","data":{}})",
        R"({"type":"signal","to":"p2","data":{"bye":true,"ice":{"candidate":""}}})",
        R"({"type":"signal","to":"p2","data":{"bye":false}})",
        R"({"type":"signal","to":"p2","data":{"sdp":{"type":"pranswer","sdp":"v=0"}}})",
        R"({"type":"signal","to":"p2","data":{"sdp":{"type":"offer"}}})",
        R"({"type":"signal","to":"p2","data":{"ice":{"sdpMid":"0"}}})",
        R"({"type":"signal","to":"p2","data":{"ice":{"candidate":"c","sdpMLineIndex":"0"}}})",
        R"({"type":"signal","to":"p2","data":{"ice":{"candidate":"c","sdpMid":3}}})",
        R"({"type":"signal","data":{"bye":true}})",
    };
    for (const char *text : bad)
        expect_error(text, ErrorCode::BadMessage, "signal");
}

TEST(Encode, ExactShapes)
{
    RoomCount rooms[] = {{"kitchen", 2}};
    EXPECT_EQ(
        encode::welcome("p7", "Living room", rooms),
        R"({"type":"welcome","id":"p7","device":{"id":"device","name":"Living room"},"rooms":[{"name":"kitchen","count":2}],"protocol":1})");
    PeerInfo peers[] = {{"device", "Living room", true}, {"p3", "bob"}};
    ChatRecord history[] = {{"kitchen", 42, "p7", "alice", "hi", 1764130000000}};
    EXPECT_EQ(
        encode::joined("kitchen", "p7", "alice", peers, history),
        R"({"type":"joined","room":"kitchen","id":"p7","nick":"alice","peers":[{"id":"device","nick":"Living room","device":true},{"id":"p3","nick":"bob"}],"history":[{"type":"chat","room":"kitchen","seq":42,"from":{"id":"p7","nick":"alice"},"text":"hi","ts":1764130000000}]})");
    EXPECT_EQ(encode::peer_joined("kitchen", {"p7", "alice"}),
              R"({"type":"peer-joined","room":"kitchen","peer":{"id":"p7","nick":"alice"}})");
    EXPECT_EQ(encode::left("kitchen"), R"({"type":"left","room":"kitchen"})");
    EXPECT_EQ(encode::peer_left("kitchen", {"p7", "alice"}),
              R"({"type":"peer-left","room":"kitchen","peer":{"id":"p7","nick":"alice"}})");
    EXPECT_EQ(encode::nick_changed("kitchen", "p7", "alice", "al"),
              R"({"type":"nick-changed","room":"kitchen","id":"p7","old":"alice","nick":"al"})");
    EXPECT_EQ(
        encode::chat(history[0]),
        R"({"type":"chat","room":"kitchen","seq":42,"from":{"id":"p7","nick":"alice"},"text":"hi","ts":1764130000000})");
    EXPECT_EQ(
        encode::whisper({"p7", "alice"}, {"p3", "bob"}, "psst", 5),
        R"({"type":"whisper","from":{"id":"p7","nick":"alice"},"to":{"id":"p3","nick":"bob"},"text":"psst","ts":5})");
    EXPECT_EQ(encode::rooms(rooms), R"({"type":"rooms","rooms":[{"name":"kitchen","count":2}]})");
    EXPECT_EQ(encode::rooms_document(rooms), R"({"rooms":[{"name":"kitchen","count":2}]})");
    EXPECT_EQ(encode::signal("p7", R"({"bye":true})"),
              R"({"type":"signal","from":"p7","data":{"bye":true}})");
    EXPECT_EQ(encode::signal("device", SignalData(Bye{})),
              R"({"type":"signal","from":"device","data":{"bye":true}})");
    EXPECT_EQ(
        encode::signal("device", SessionDescription{SessionDescription::Type::Answer, "v=0\r\n"}),
        R"({"type":"signal","from":"device","data":{"sdp":{"type":"answer","sdp":"v=0\r\n"}}})");
    EXPECT_EQ(
        encode::signal("device", IceCandidate{"candidate:1", "0", 0}),
        R"({"type":"signal","from":"device","data":{"ice":{"candidate":"candidate:1","sdpMid":"0","sdpMLineIndex":0}}})");
    EXPECT_EQ(
        encode::signal("device", IceCandidate{"candidate:1", std::nullopt, 3}),
        R"({"type":"signal","from":"device","data":{"ice":{"candidate":"candidate:1","sdpMLineIndex":3}}})");
    EXPECT_EQ(encode::media("device", true, false),
              R"({"type":"media","id":"device","audio":true,"video":false})");
    EXPECT_EQ(encode::call_state("device", "connected"),
              R"({"type":"call-state","peer":"device","state":"connected"})");
    EXPECT_EQ(encode::error({ErrorCode::NickTaken, "taken", "join"}),
              R"({"type":"error","code":"nick-taken","message":"taken","re":"join"})");
    EXPECT_EQ(encode::error({ErrorCode::BadJson, "bad", ""}),
              R"({"type":"error","code":"bad-json","message":"bad"})");
}

TEST(Encode, Escaping)
{
    ChatRecord c{"r", 1, "p1", "a\"b", "line\nquote\" back\\ tab\t \x01 <b>é</b>", 0};
    EXPECT_EQ(
        encode::chat(c),
        R"({"type":"chat","room":"r","seq":1,"from":{"id":"p1","nick":"a\"b"},"text":"line\nquote\" back\\ tab\t \u0001 <b>é</b>","ts":0})");
    // What the writer escapes, the parser reads back to the same text.
    JsonWriter w;
    w.begin_object().member("type", "chat").member("text", std::string_view(c.text)).end_object();
    EXPECT_EQ(parse_as<Chat>(w.take()).text, c.text);
}

TEST(Encode, ErrorCodeNames)
{
    const char *names[] = {
        "bad-json", "bad-message", "too-large",     "rate-limited",    "not-in-room", "bad-room",
        "bad-nick", "nick-taken",  "bad-text",      "unknown-peer",    "room-full",   "forbidden",
        "busy",     "media-error", "storage-error", "already-in-room", "storage-full"};
    for (int i = 0; i < 16; ++i)
        EXPECT_EQ(error_code_name(static_cast<ErrorCode>(i)), names[i]);
}

TEST(Parser, StrictJson)
{
    expect_error("{'type':'list-rooms'}", ErrorCode::BadJson);
    expect_error(R"({"type":"list-rooms"} {"type":"list-rooms"})", ErrorCode::BadJson);
    expect_error(R"({"type":"list-rooms",})", ErrorCode::BadJson);
    expect_error(R"({"type":"chat","text":"a)"
                 "\x01"
                 R"("})",
                 ErrorCode::BadJson);
    expect_error(R"({"type":"chat","text":"\ud800"})", ErrorCode::BadJson);
    expect_error(R"({"type":"chat","text":"\x"})", ErrorCode::BadJson);
    expect_error("{\"type\":\"chat\",\"n\":01}", ErrorCode::BadJson);
    expect_error("   ", ErrorCode::BadJson);
    expect_error(std::string(100, '[') + std::string(100, ']'), ErrorCode::BadJson);
    parse_as<ListRooms>(" \n{\"type\" : \"list-rooms\", \"n\": [1, -2.5e3, true, null, {}]}\t");
}

TEST(Parser, StringsKeepEveryCodePoint)
{
    EXPECT_EQ(parse_as<Chat>(R"({"type":"chat","text":"a\u0000b"})").text, std::string("a\0b", 3));
    EXPECT_EQ(parse_as<Chat>(R"({"type":"chat","text":"\ud83d\ude42 \u00e9\/\"\\"})").text,
              "🙂 é/\"\\");
    // A repeated key: the last one counts.
    EXPECT_EQ(parse_as<Chat>(R"({"type":"chat","text":"one","text":"two"})").text, "two");
}

TEST(Parser, SignalDataRelayedAsWritten)
{
    const std::string data = R"({ "ice" : {"candidate":"c", "sdpMLineIndex" : 0 , "x":1.50}})";
    auto s = parse_as<Signal>(R"({"type":"signal","to":"p2","data":)" + data + "}");
    EXPECT_EQ(s.data_json, data);
}

TEST(Parser, TypeNames)
{
    EXPECT_EQ(type_name(ClientMessage(ListRooms{})), "list-rooms");
    EXPECT_EQ(type_name(ClientMessage(Chat{"x"})), "chat");
    EXPECT_EQ(type_name(ClientMessage(Media{true, true})), "media");
}
