// bench/media/offer-size.mjs: how large a real browser's SDP offer is (Debian's headless Chromium), the figure behind [media] max_sdp_bytes' default.
// Run from the source root: node bench/media/offer-size.mjs (needs /usr/bin/chromium and tests/node_modules).
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../tests/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const browser = await chromium.launch({
  executablePath: process.env.CALLBOX_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking'],
});
try {
  const page = await browser.newPage();
  const sizes = await page.evaluate(async () => {
    // What the web app offers (one transceiver per kind), with and without a data channel, with
    // the candidates trickled (the SDP alone) and with them written into the SDP.
    async function offer({ data = false, gathered = false } = {}) {
      const pc = new RTCPeerConnection();
      pc.addTransceiver('audio', { direction: 'sendrecv' });
      pc.addTransceiver('video', { direction: 'sendrecv' });
      if (data) pc.createDataChannel('x');
      await pc.setLocalDescription(await pc.createOffer());
      if (gathered && pc.iceGatheringState !== 'complete') {
        await new Promise((resolve) => {
          pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && resolve();
          setTimeout(resolve, 10000);
        });
      }
      const sdp = pc.localDescription.sdp;
      pc.close();
      return { bytes: new TextEncoder().encode(sdp).length, mlines: (sdp.match(/^m=/gm) || []).length,
        video_codecs: (sdp.split('m=video')[1]?.match(/^a=rtpmap:/gm) || []).length };
    }
    return {
      audio_video: await offer(),
      audio_video_data: await offer({ data: true }),
      audio_video_data_with_candidates: await offer({ data: true, gathered: true }),
    };
  });
  console.log(JSON.stringify({ browser: browser.version(), ...sizes }, null, 1));
} finally {
  await browser.close();
}
