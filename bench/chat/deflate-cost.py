#!/usr/bin/env python3
"""What permessage-deflate would buy and cost for callbox's chat frames: wire bytes and CPU per frame, with and without; prints one JSON line.

    python3 bench/chat/deflate-cost.py [--frames N]

The frames are what callboxd sends for a chat message (the broadcast each member gets) and what
a browser sends ({"type":"chat","text":...}), with texts of family-chat length. Compression is
permessage-deflate as libsoup 3.2 and browsers negotiate it by default (RFC 7692): raw deflate,
15-bit window, memLevel 8, context kept between messages, a sync flush per message whose
00 00 ff ff tail is dropped. Python's zlib module is the system zlib that libsoup links, called
synchronously as libsoup calls it. The server compresses each broadcast once per member (one
deflate stream per connection), so the deflate cost counts per delivery; a client frame is
inflated once.
"""
import argparse
import json
import random
import time
import zlib

# Family-chat texts: 1 to 16 words drawn from everyday words (seeded), so that no two messages
# are alike; a compressor that has seen the room's earlier messages still finds the words and
# the JSON around them.
WORDS = ("hi ok yes no lol thanks dinner ready home late soon now later today tonight tomorrow "
         "where are you the a to is it on in at for of and but can could we i my your car keys "
         "kitchen table cat dog milk bread shop school work train bus call me when back min "
         "10 6 7 morning night good love see bring take left right upstairs door wifi phone "
         "charger package came grandma mum dad kids game film movie watch eat cook pizza rain "
         "coat umbrella ❤️ 👍 😂 already still just need want think "
         "know got get going done fine great sorry wait what who why how").split()
NICKS = ["alice", "bob", "grandma", "L\u00e9a", "sam"]


def texts(n):
    rng = random.Random(7)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 16))) for _ in range(n)]


def server_frames(n):
    return [json.dumps({"type": "chat", "room": "kitchen", "seq": 42 + i,
                        "from": {"id": f"p{3 + i % 5}", "nick": NICKS[i % 5]},
                        "text": t, "ts": 1764130000000 + i * 1731},
                       separators=(",", ":"), ensure_ascii=False).encode()
            for i, t in enumerate(texts(n))]


def client_frames(n):
    return [json.dumps({"type": "chat", "text": t}, separators=(",", ":"),
                       ensure_ascii=False).encode() for t in texts(n)]


def header(n, masked):
    """WebSocket header bytes for a payload of n bytes (+4 for a client frame's mask)."""
    return (2 if n < 126 else 4 if n <= 0xFFFF else 10) + (4 if masked else 0)


def measure(frames, masked):
    n = len(frames)
    deflate = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15, 8)
    t0 = time.process_time()
    packed = [(deflate.compress(f) + deflate.flush(zlib.Z_SYNC_FLUSH))[:-4] for f in frames]
    deflate_us = (time.process_time() - t0) * 1e6 / n
    inflate = zlib.decompressobj(-15)
    t0 = time.process_time()
    for p in packed:
        inflate.decompress(p + b"\x00\x00\xff\xff")
    inflate_us = (time.process_time() - t0) * 1e6 / n
    plain = sum(len(f) + header(len(f), masked) for f in frames) / n
    small = sum(len(p) + header(len(p), masked) for p in packed) / n
    return {
        "payload_bytes": round(sum(map(len, frames)) / n, 1),
        "wire_bytes_plain": round(plain, 1),
        "wire_bytes_deflate": round(small, 1),
        "saved_bytes": round(plain - small, 1),
        "deflate_us": round(deflate_us, 2),
        "inflate_us": round(inflate_us, 2),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=20000)
    n = parser.parse_args().frames
    print(json.dumps({
        "frames": n,
        "server_broadcast": measure(server_frames(n), False),
        "client_chat": measure(client_frames(n), True),
        "zlib": zlib.ZLIB_RUNTIME_VERSION,
    }))


main()
