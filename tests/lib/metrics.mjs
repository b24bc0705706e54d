// Reading callboxd's /metrics (Prometheus text) in tests: every sample without labels by name.
// A kept-alive connection the daemon closed as idle fails once (ECONNRESET): asked again then.
export async function metrics(daemon, tries = 3) {
  let text;
  try {
    text = await (await fetch(`${daemon.url}/metrics`)).text();
  } catch (e) {
    if (tries <= 1) throw e;
    return metrics(daemon, tries - 1);
  }
  const values = new Map();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*) (\S+)$/.exec(line);
    if (m) values.set(m[1], Number(m[2]));
  }
  return values;
}

// One sample by name; undefined when /metrics has none.
export async function metric(daemon, name) {
  return (await metrics(daemon)).get(name);
}
