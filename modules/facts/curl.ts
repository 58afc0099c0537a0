/** curl's answer as httpCheck and httpRequest ask for it: `-D -` header blocks, the body, then an `@@ucw-http CODE URL` trailer. */
export interface CurlResponse {
  status: number;
  /** The URL that answered last (after redirects). */
  url: string;
  headers: Record<string, string>;
  body: string;
  certSha256?: string;
}

/** The `-w` argument that prints the trailer parseCurl reads. */
export const CURL_TRAILER = '\n@@ucw-http %{http_code} %{url_effective}\n';

/** Pure: curl's `-D -` headers (one block per hop) + body + the `@@ucw-http` trailer. */
export function parseCurl(out: string, certSha256?: string): CurlResponse {
  const m = /\n?@@ucw-http (\d+) (\S*)\n?$/.exec(out);
  if (!m) throw new Error('curl printed no status');
  let rest = out.slice(0, m.index);
  let headers: Record<string, string> = {};
  // header blocks come first, one per response (redirects, 100-continue)
  while (/^HTTP\/[\d.]+ \d+/.test(rest)) {
    const end = rest.search(/\r?\n\r?\n/);
    const block = end < 0 ? rest : rest.slice(0, end);
    headers = {};
    for (const line of block.split(/\r?\n/).slice(1)) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    rest = end < 0 ? '' : rest.slice(end).replace(/^\r?\n\r?\n/, '');
  }
  return { status: Number(m[1]), url: m[2] ?? '', headers, body: rest, certSha256 };
}
