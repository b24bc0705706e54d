// A browser-like SDP offer to the device, made up in the test (no browser): receive-only lines, as Chromium writes them.
const FINGERPRINT = Array.from({ length: 32 }, (_, i) => (i * 7 % 256).toString(16).padStart(2, '0').toUpperCase()).join(':');

// An m-line as Chromium writes one, receive-only (the device sends its camera or microphone); bundled
// lines share their ICE credentials.
function mline(kind, mid) {
  const codec = kind === 'audio'
    ? 'm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n'
    : 'm=video 9 UDP/TLS/RTP/SAVPF 108\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:108 H264/90000\r\n'
      + 'a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n';
  return `${codec}a=rtcp:9 IN IP4 0.0.0.0\r\na=ice-ufrag:atk0\r\na=ice-pwd:attackattackattackattack\r\n`
    + `a=ice-options:trickle\r\na=fingerprint:sha-256 ${FINGERPRINT}\r\na=setup:actpass\r\na=mid:${mid}\r\n`
    + 'a=recvonly\r\na=rtcp-mux\r\n';
}

// An offer with one m-line per entry of `kinds` ('audio' or 'video'), and `padBytes` of padding
// in a session attribute.
export function offer(kinds, padBytes = 0) {
  const mids = kinds.map((_, i) => String(i));
  let sdp = `v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE ${mids.join(' ')}\r\n`
    + 'a=msid-semantic: WMS\r\n';
  if (padBytes) sdp += `a=x-padding:${'p'.repeat(padBytes)}\r\n`;
  return sdp + kinds.map((k, i) => mline(k, mids[i])).join('');
}


// An offer as Firefox ESR writes one for a two-way call: audio first, video with VP8 and VP9 only
// (no OpenH264), each with its RTX payload type, plus AV1, RED and ULPFEC; with max-bundle the video
// line has port 0 and a=bundle-only.
export function firefoxOffer({ ufrag = 'ffx0', direction = 'sendrecv' } = {}) {
  const common = (mid) => `${mid === '1' ? 'a=bundle-only\r\n' : ''}c=IN IP4 0.0.0.0\r\na=${direction}\r\na=fingerprint:sha-256 ${FINGERPRINT}\r\n`
    + `a=ice-pwd:firefoxfirefoxfirefoxfirefox\r\na=ice-ufrag:${ufrag}\r\na=mid:${mid}\r\n`
    + 'a=rtcp-mux\r\na=setup:actpass\r\n';
  const fb = (pt) => ['nack', 'nack pli', 'ccm fir', 'goog-remb', 'transport-cc'].map((f) => `a=rtcp-fb:${pt} ${f}\r\n`).join('');
  const audio = 'm=audio 9 UDP/TLS/RTP/SAVPF 109 9 0 8 101\r\n' + common('0')
    + 'a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n'
    + 'a=fmtp:109 maxplaybackrate=48000;stereo=1;useinbandfec=1\r\na=fmtp:101 0-15\r\n'
    + 'a=msid:{5b9e0f6a-1d61-4c0f-9d9c-3f2f5e2a1c11} {7c1a2b3c-4d5e-6f70-8192-a3b4c5d6e7f8}\r\n'
    + 'a=rtpmap:109 opus/48000/2\r\na=rtpmap:9 G722/8000/1\r\na=rtpmap:0 PCMU/8000\r\n'
    + 'a=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000/1\r\n'
    + 'a=ssrc:3000000001 cname:{0c2f6a8e-3b1d-4f5a-9e7c-2d4b6a8c0e1f}\r\n';
  const video = 'm=video 0 UDP/TLS/RTP/SAVPF 120 124 121 125 99 100 123 122 119\r\n' + common('1')
    + 'a=extmap:3 urn:ietf:params:rtp-hdrext:sdes:mid\r\n'
    + 'a=fmtp:120 max-fs=12288;max-fr=60\r\na=fmtp:124 apt=120\r\na=fmtp:121 max-fs=12288;max-fr=60\r\n'
    + 'a=fmtp:125 apt=121\r\na=fmtp:100 apt=99\r\na=fmtp:119 apt=122\r\n'
    + 'a=msid:{5b9e0f6a-1d61-4c0f-9d9c-3f2f5e2a1c11} {9d8c7b6a-5f4e-3d2c-1b0a-f9e8d7c6b5a4}\r\n'
    + fb(120) + fb(121) + fb(99) + fb(123) + fb(122)
    + 'a=rtpmap:120 VP8/90000\r\na=rtpmap:124 rtx/90000\r\na=rtpmap:121 VP9/90000\r\n'
    + 'a=rtpmap:125 rtx/90000\r\na=rtpmap:99 AV1/90000\r\na=rtpmap:100 rtx/90000\r\n'
    + 'a=rtpmap:123 ulpfec/90000\r\na=rtpmap:122 red/90000\r\na=rtpmap:119 rtx/90000\r\n'
    + 'a=ssrc:3000000002 cname:{0c2f6a8e-3b1d-4f5a-9e7c-2d4b6a8c0e1f}\r\n'
    + 'a=ssrc:3000000003 cname:{0c2f6a8e-3b1d-4f5a-9e7c-2d4b6a8c0e1f}\r\n'
    + 'a=ssrc-group:FID 3000000002 3000000003\r\n';
  return 'v=0\r\no=mozilla...THIS_IS_SDPARTA-99.0 4477358734536578418 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n'
    + `a=fingerprint:sha-256 ${FINGERPRINT}\r\na=group:BUNDLE 0 1\r\na=ice-options:trickle\r\n`
    + 'a=msid-semantic:WMS *\r\n' + audio + video;
}
