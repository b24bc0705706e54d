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

