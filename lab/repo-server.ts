// Static HTTP server for the lab's apt repository, bound to the bridge address (reachable from the hosts only).
// Usage: node --import tsx lab/repo-server.ts DIR ADDRESS PORT
import { createServer } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { join, normalize } from 'node:path';

const [dir, address, port] = process.argv.slice(2);
if (!dir || !address || !port) {
  console.error('usage: repo-server.ts DIR ADDRESS PORT');
  process.exit(2);
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  const rel = normalize(decodeURIComponent(url.pathname)).replace(/^(\.\.[/\\])+/, '');
  const file = join(dir, rel);
  let size = -1;
  try {
    const st = statSync(file);
    if (st.isFile()) size = st.size;
  } catch {
    /* missing */
  }
  console.log(`${new Date().toISOString()} ${req.socket.remoteAddress} ${req.method} ${url.pathname} ${size >= 0 ? 200 : 404}`);
  if (size < 0 || !file.startsWith(dir)) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
    return;
  }
  res.writeHead(200, { 'content-length': size, 'content-type': 'application/octet-stream' });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(file).pipe(res);
});
server.listen(Number(port), address, () => console.log(`serving ${dir} on http://${address}:${port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
