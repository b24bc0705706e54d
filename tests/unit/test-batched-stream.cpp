// Unit tests for OutputBatch and the watched input: one write per flush, order, back-pressure,
// close, hang-up, libsoup on top. top.
#include "loop/batched-stream.hpp"

#include <gtest/gtest.h>
#include <libsoup/soup.h>

#include <sys/socket.h>

#include <functional>
#include <string>
#include <vector>

using callbox::loop::OutputBatch;

namespace {

// Both ends of a connected AF_UNIX stream socket pair, as GIOStreams.
struct SocketPair {
    GIOStream *a = nullptr;
    GIOStream *b = nullptr;
    SocketPair()
    {
        int fds[2];
        EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
        a = wrap(fds[0]);
        b = wrap(fds[1]);
    }
    ~SocketPair()
    {
        g_clear_object(&a);
        g_clear_object(&b);
    }
    static GIOStream *wrap(int fd)
    {
        GSocket *socket = g_socket_new_from_fd(fd, nullptr);
        GIOStream *stream = G_IO_STREAM(g_socket_connection_factory_create_connection(socket));
        g_object_unref(socket);
        return stream;
    }
};

// Reads what is available from `stream` without blocking.
std::string read_available(GIOStream *stream)
{
    auto *in = G_POLLABLE_INPUT_STREAM(g_io_stream_get_input_stream(stream));
    std::string out;
    char buffer[65536];
    for (;;) {
        GError *error = nullptr;
        gssize n =
            g_pollable_input_stream_read_nonblocking(in, buffer, sizeof buffer, nullptr, &error);
        if (n <= 0) {
            g_clear_error(&error);
            return out;
        }
        out.append(buffer, static_cast<std::size_t>(n));
    }
}

gssize write_nonblocking(GIOStream *stream, const std::string &bytes, GError **error = nullptr)
{
    auto *out = G_POLLABLE_OUTPUT_STREAM(g_io_stream_get_output_stream(stream));
    return g_pollable_output_stream_write_nonblocking(out, bytes.data(), bytes.size(), nullptr,
                                                      error);
}

void iterate_until(const std::function<bool()> &done, int max_ms = 5000)
{
    const gint64 end = g_get_monotonic_time() + max_ms * 1000;
    while (!done() && g_get_monotonic_time() < end)
        g_main_context_iteration(nullptr, FALSE);
}

// A batch (counting how often it is armed) and a stream it made over one end of a socket pair.
class BatchedStream : public ::testing::Test
{
protected:
    SocketPair pair;
    int armed = 0;
    OutputBatch batch{[this] {
        ++armed;
    }};
    GIOStream *stream = batch.wrap(pair.a);
    ~BatchedStream() override { g_object_unref(stream); }
};

// A WebSocket connection of `type` over `io`, as libsoup makes them.
SoupWebsocketConnection *websocket(GIOStream *io, SoupWebsocketConnectionType type)
{
    GUri *uri = g_uri_parse("ws://127.0.0.1/ws", G_URI_FLAGS_NONE, nullptr);
    SoupWebsocketConnection *c =
        soup_websocket_connection_new(io, uri, type, nullptr, nullptr, nullptr);
    g_uri_unref(uri);
    return c;
}

TEST_F(BatchedStream, WritesOfOneIterationLeaveTogetherAfterFlush)
{
    std::string expected;
    for (int i = 0; i < 50; ++i) {
        std::string frame = "frame " + std::to_string(i) + ";";
        EXPECT_EQ(write_nonblocking(stream, frame), static_cast<gssize>(frame.size()));
        expected += frame;
    }
    EXPECT_EQ(armed, 1); // armed once, by the first write
    EXPECT_TRUE(batch.pending());
    EXPECT_EQ(read_available(pair.b), ""); // nothing has left yet
    batch.flush();
    EXPECT_FALSE(batch.pending());
    EXPECT_EQ(batch.socket_writes(), 1u);
    EXPECT_EQ(read_available(pair.b), expected);
    batch.flush(); // nothing to send: no write
    EXPECT_EQ(batch.socket_writes(), 1u);
}

TEST_F(BatchedStream, InputPassesThrough)
{
    ASSERT_EQ(write_nonblocking(pair.b, "hello"), 5);
    EXPECT_EQ(read_available(stream), "hello");
}

TEST_F(BatchedStream, PeerThatDoesNotReadGetsBackPressureAndLosesNothing)
{
    // Fill the batch and the socket until writes would block.
    std::string sent;
    std::string chunk(4096, 'x');
    int blocked = 0;
    for (int i = 0; i < 2000 && !blocked; ++i) {
        chunk[0] = static_cast<char>('a' + i % 26);
        GError *error = nullptr;
        gssize n = write_nonblocking(stream, chunk, &error);
        if (n < 0) {
            EXPECT_TRUE(g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK));
            g_clear_error(&error);
            blocked = i;
        } else {
            sent += chunk;
            batch.flush();
        }
    }
    ASSERT_GT(blocked, 0) << "a peer that never reads must make writes block";
    // Stuck: what waits is the backlog its owner caps.
    EXPECT_GT(OutputBatch::stuck_since(stream), 0);
    EXPECT_GE(OutputBatch::backlog(stream), OutputBatch::kHighWater);
    auto *out = G_POLLABLE_OUTPUT_STREAM(g_io_stream_get_output_stream(stream));
    EXPECT_FALSE(g_pollable_output_stream_is_writable(out));
    // The stream's source fires once the peer has read enough.
    bool writable = false;
    GSource *source = g_pollable_output_stream_create_source(out, nullptr);
    g_source_set_callback(source, G_SOURCE_FUNC(+[](GObject *, gpointer data) -> gboolean {
                              *static_cast<bool *>(data) = true;
                              return G_SOURCE_REMOVE;
                          }),
                          &writable, nullptr);
    g_source_attach(source, nullptr);
    std::string received;
    iterate_until([&] {
        received += read_available(pair.b);
        return writable;
    });
    EXPECT_TRUE(writable);
    iterate_until([&] {
        received += read_available(pair.b);
        return received.size() >= sent.size();
    });
    EXPECT_EQ(received, sent);
    EXPECT_EQ(OutputBatch::stuck_since(stream), 0); // all taken: not stuck any more
    EXPECT_EQ(OutputBatch::backlog(stream), 0u);
    g_source_destroy(source);
    g_source_unref(source);
}

TEST_F(BatchedStream, AnIterationsWritesAreAllTakenWhileTheSocketIsNotStuck)
{
    // Four times the high-water mark in one iteration: no back-pressure and no backlog, since
    // nothing has been refused by the socket yet.
    std::string chunk(4096, 'y');
    for (std::size_t total = 0; total < 4 * OutputBatch::kHighWater; total += chunk.size())
        ASSERT_EQ(write_nonblocking(stream, chunk), static_cast<gssize>(chunk.size()));
    EXPECT_EQ(OutputBatch::backlog(stream), 0u);
    EXPECT_EQ(OutputBatch::stuck_since(stream), 0);
}

TEST_F(BatchedStream, CloseSendsWhatIsLeftFirst)
{
    ASSERT_EQ(write_nonblocking(stream, "last words"), 10);
    bool closed = false;
    g_io_stream_close_async(
        stream, G_PRIORITY_DEFAULT, nullptr,
        [](GObject *source, GAsyncResult *result, gpointer data) {
            EXPECT_TRUE(g_io_stream_close_finish(G_IO_STREAM(source), result, nullptr));
            *static_cast<bool *>(data) = true;
        },
        &closed);
    iterate_until([&] { return closed; });
    EXPECT_TRUE(closed);
    EXPECT_EQ(read_available(pair.b), "last words");
    // And the socket under it is closed: the peer reads end of stream.
    char byte;
    EXPECT_EQ(g_input_stream_read(g_io_stream_get_input_stream(pair.b), &byte, 1, nullptr, nullptr),
              0);
    EXPECT_EQ(batch.socket_writes(), 1u);
}

TEST(OutputBatch, StreamsOutliveTheirBatch)
{
    SocketPair pair;
    GIOStream *stream;
    {
        OutputBatch batch([] {});
        stream = batch.wrap(pair.a);
        ASSERT_EQ(write_nonblocking(stream, "queued"), 6);
    } // the batch sends what it holds when it goes
    EXPECT_EQ(read_available(pair.b), "queued");
    ASSERT_EQ(write_nonblocking(stream, "direct"), 6); // and its streams now write at once
    EXPECT_EQ(read_available(pair.b), "direct");
    g_object_unref(stream);
}

// libsoup's WebSocket on top: a server connection over a batched stream, a plain client.
TEST_F(BatchedStream, CarriesLibsoupWebSocket)
{
    SoupWebsocketConnection *server = websocket(stream, SOUP_WEBSOCKET_CONNECTION_SERVER);
    SoupWebsocketConnection *client = websocket(pair.b, SOUP_WEBSOCKET_CONNECTION_CLIENT);

    struct Seen {
        std::vector<std::string> texts;
        gushort close_code = 0;
        bool closed = false;
    } client_seen, server_seen;
    auto on_message = +[](SoupWebsocketConnection *, gint, GBytes *bytes, Seen *seen) {
        gsize size;
        const char *data = static_cast<const char *>(g_bytes_get_data(bytes, &size));
        seen->texts.emplace_back(data, size);
    };
    auto on_closed = +[](SoupWebsocketConnection *c, Seen *seen) {
        seen->closed = true;
        seen->close_code = soup_websocket_connection_get_close_code(c);
    };
    g_signal_connect(client, "message", G_CALLBACK(on_message), &client_seen);
    g_signal_connect(server, "message", G_CALLBACK(on_message), &server_seen);
    g_signal_connect(client, "closed", G_CALLBACK(on_closed), &client_seen);
    g_signal_connect(server, "closed", G_CALLBACK(on_closed), &server_seen);

    for (int i = 0; i < 100; ++i)
        soup_websocket_connection_send_text(server, ("{\"n\":" + std::to_string(i) + "}").c_str());
    EXPECT_EQ(armed, 1);
    batch.flush();
    EXPECT_EQ(batch.socket_writes(), 1u); // 100 frames, one write
    iterate_until([&] { return client_seen.texts.size() == 100; });
    ASSERT_EQ(client_seen.texts.size(), 100u);
    for (int i = 0; i < 100; ++i)
        EXPECT_EQ(client_seen.texts[i], "{\"n\":" + std::to_string(i) + "}");

    soup_websocket_connection_send_text(client, "from the client");
    iterate_until([&] { return !server_seen.texts.empty(); });
    ASSERT_EQ(server_seen.texts.size(), 1u);
    EXPECT_EQ(server_seen.texts[0], "from the client");

    // The close handshake works through the batch too (the hub flushes every iteration).
    soup_websocket_connection_close(server, 4001, "kicked");
    iterate_until([&] {
        batch.flush();
        return client_seen.closed && server_seen.closed;
    });
    EXPECT_TRUE(client_seen.closed);
    EXPECT_TRUE(server_seen.closed);
    EXPECT_EQ(client_seen.close_code, 4001);
    EXPECT_STREQ(soup_websocket_connection_get_close_data(client), "kicked");

    g_object_unref(server);
    g_object_unref(client);
}

// The socket's input: libsoup reads through the watched input (watched-input.hpp).
TEST_F(BatchedStream, PeerHangUpClosesTheConnectionAndLeavesThePollQuiet)
{
    SoupWebsocketConnection *server = websocket(stream, SOUP_WEBSOCKET_CONNECTION_SERVER);
    bool closed = false;
    g_signal_connect(server, "closed",
                     G_CALLBACK(+[](SoupWebsocketConnection *, bool *closed) { *closed = true; }),
                     &closed);
    // The peer vanishes without a close frame.
    ASSERT_TRUE(g_io_stream_close(pair.b, nullptr, nullptr));
    iterate_until([&] {
        batch.flush();
        return closed;
    });
    EXPECT_TRUE(closed);
    EXPECT_EQ(soup_websocket_connection_get_state(server), SOUP_WEBSOCKET_STATE_CLOSED);
    // A hung-up socket left in the poll set would make every poll return at once: a blocking
    // iteration must wait for the timer instead.
    bool fired = false;
    g_timeout_add(
        50,
        [](gpointer data) -> gboolean {
            *static_cast<bool *>(data) = true;
            return G_SOURCE_REMOVE;
        },
        &fired);
    int iterations = 0;
    while (!fired && iterations < 1000) {
        g_main_context_iteration(nullptr, TRUE);
        ++iterations;
    }
    EXPECT_TRUE(fired);
    EXPECT_LT(iterations, 10);
    g_object_unref(server);
}

} // namespace
