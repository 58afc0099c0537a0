/** The identity files a hop offers: read and parsed once per file, an encrypted one asks for its passphrase once. */
import { readFile } from 'node:fs/promises';
import ssh2, { type ParsedKey } from 'ssh2';
import { registerSecret } from '../model/secrets.ts';

const { utils } = ssh2;

/** Where encrypted keys get their passphrase: an env var, else a prompt. */
export interface KeyOptions {
  passphraseEnv?: string;
  askPassphrase?: (prompt: string) => Promise<string | undefined>;
}

interface LoadedKey {
  file: string;
  key: ParsedKey;
}

/** Keys are parsed once per file per process: an encrypted key asks for its passphrase once. */
const keyCache = new Map<string, Promise<ParsedKey | undefined>>();

/** For tests. */
export function clearKeyCache(): void {
  keyCache.clear();
}

export async function loadKeys(ep: { identityFiles: string[] }, o: KeyOptions, authError: (msg: string) => Error): Promise<LoadedKey[]> {
  const out: LoadedKey[] = [];
  for (const file of ep.identityFiles) {
    let p = keyCache.get(file);
    if (!p) {
      p = loadKey(file, o, authError);
      keyCache.set(file, p);
      p.catch(() => keyCache.delete(file));
    }
    const key = await p;
    if (key) out.push({ file, key });
  }
  return out;
}

async function loadKey(file: string, o: KeyOptions, authError: (msg: string) => Error): Promise<ParsedKey | undefined> {
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw authError(`cannot read identity file ${file}: ${(e as Error).message}`);
  }
  let parsed = utils.parseKey(data);
  if (parsed instanceof Error) {
    if (!/encrypted|passphrase/i.test(parsed.message)) throw authError(`cannot use identity file ${file}: ${parsed.message}`);
    let pass = o.passphraseEnv ? process.env[o.passphraseEnv] : undefined;
    if (pass === undefined && o.askPassphrase) pass = await o.askPassphrase(`Passphrase for ${file}: `);
    if (pass === undefined) {
      const how = o.passphraseEnv
        ? `$${o.passphraseEnv} is not set`
        : 'set identityPassphraseEnv in the inventory, or run on a terminal to be asked';
      throw authError(`identity file ${file} is encrypted and no passphrase was given (${how})`);
    }
    registerSecret(pass);
    parsed = utils.parseKey(data, pass);
    if (parsed instanceof Error) throw authError(`wrong passphrase for identity file ${file} (${parsed.message})`);
  }
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || !key.isPrivateKey()) throw authError(`identity file ${file} holds no private key`);
  return key;
}
