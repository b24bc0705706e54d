// scratch smoke test (not committed)
import { chromium } from 'playwright-core';
import { startDaemon, makeTempDir } from '../lib/daemon.mjs';
const d = await startDaemon({ config: '[media]\nice_addresses=127.0.0.1\n', env: { CALLBOX_PIPELINES_DIR: new URL('../../pipelines', import.meta.url).pathname, GST_DEBUG: process.env.GST_DEBUG || '1' } });
const ctx = await chromium.launchPersistentContext(makeTempDir('chr-'), { executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox','--disable-gpu','--use-fake-ui-for-media-stream','--use-fake-device-for-media-stream','--disable-background-networking','--disable-component-update','--disable-sync','--no-first-run','--disable-quic','--disable-dev-shm-usage','--autoplay-policy=no-user-gesture-required','--allow-loopback-in-peer-connection','--disable-features=WebRtcHideLocalIpsWithMdns'] });
try {
  const page = await ctx.newPage();
  page.on('console', m => console.log('page:', m.text()));
  await page.goto(d.url + '/');
  const t0 = Date.now();
  const res = await page.evaluate(async (wsUrl) => {
    const log = [];
    const ws = new WebSocket(wsUrl);
    await new Promise(r => ws.onopen = r);
    const pc = new RTCPeerConnection();
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    stream.getTracks().forEach(t => pc.addTrack(t, stream));
    const pending = []; let remoteSet = false;
    let firstFrame = null; const start = performance.now();
    pc.ontrack = (e) => { const v = document.createElement('video'); v.muted = true; v.autoplay = true; v.srcObject = e.streams[0] || new MediaStream([e.track]); document.body.append(v);
      if (e.track.kind === 'video') v.requestVideoFrameCallback(() => { firstFrame = performance.now() - start; }); };
    pc.onicecandidate = (e) => ws.send(JSON.stringify({ type: 'signal', to: 'device', data: { ice: e.candidate ? e.candidate.toJSON() : { candidate: '' } } }));
    ws.onmessage = async (ev) => { const m = JSON.parse(ev.data); log.push(m.type + (m.state ? ':' + m.state : '') + (m.code ? ':' + m.code + ':' + m.message : ''));
      if (m.type === 'signal' && m.data.sdp) { await pc.setRemoteDescription(m.data.sdp); remoteSet = true; for (const c of pending) await pc.addIceCandidate(c); }
      if (m.type === 'signal' && m.data.ice) { if (remoteSet) await pc.addIceCandidate(m.data.ice); else pending.push(m.data.ice); } };
    ws.send(JSON.stringify({ type: 'join', room: 'kitchen', nick: 'alice' }));
    await new Promise(r => setTimeout(r, 300));
    const offer = await pc.createOffer(); await pc.setLocalDescription(offer);
    ws.send(JSON.stringify({ type: 'signal', to: 'device', data: { sdp: { type: 'offer', sdp: offer.sdp } } }));
    for (let i = 0; i < 50; i++) { await new Promise(r => setTimeout(r, 200)); if (firstFrame) break; }
    await new Promise(r => setTimeout(r, 2000));
    const stats = []; (await pc.getStats()).forEach(s => { if (s.type === 'inbound-rtp') stats.push({ kind: s.kind, framesDecoded: s.framesDecoded, packets: s.packetsReceived, codec: s.codecId }); });
    return { log, firstFrame, stats, state: pc.connectionState, answer: pc.remoteDescription && pc.remoteDescription.sdp.split('\n').filter(l => /^m=|^a=(send|recv|inactive)|^a=rtpmap/.test(l)).join(' | ') };
  }, d.wsUrl);
  console.log(JSON.stringify(res, null, 1));
  const st = await (await fetch(d.url + '/api/status')).json();
  console.log(JSON.stringify(st));
} finally { await ctx.close(); const r = await d.stop(); console.log('daemon exit', r, d.output().slice(-3000)); }
