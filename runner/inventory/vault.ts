/**
 * ansible-vault's AES256 format, versions 1.1 and 1.2 (`$ANSIBLE_VAULT;1.2;AES256;vault-id`):
 * PBKDF2-SHA256 (10000 rounds) derives the AES-256-CTR key, the HMAC-SHA256 key and the IV;
 * the HMAC is checked before anything is decrypted. Every decrypted value is a registered secret.
 *
 * @example
 * const v = new Vault([readVaultPasswordFile('.vault_pass')]);
 * v.decrypt(text, 'group_vars/all/vault.yml')
 */
import { createDecipheriv, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { InventoryError } from '../model/errors.ts';
import { registerSecret } from '../model/secrets.ts';

export const VAULT_HEADER = '$ANSIBLE_VAULT';

export function isVaultText(text: string): boolean {
  return text.trimStart().startsWith(VAULT_HEADER + ';');
}

/** A vault password file: its first line's text, stripped, as Ansible reads it. */
export function readVaultPasswordFile(path: string): string {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new InventoryError(path, 'vault password file not found');
  }
  if (st.mode & 0o111) {
    throw new InventoryError(path, 'is executable: vault password scripts are not supported; put the password itself in a 0600 file');
  }
  const pw = readFileSync(path, 'utf8').trim();
  if (!pw) throw new InventoryError(path, 'vault password file is empty');
  registerSecret(pw);
  return pw;
}

export class Vault {
  constructor(private readonly passwords: readonly string[]) {
    for (const p of passwords) registerSecret(p);
  }

  get hasPassword(): boolean {
    return this.passwords.length > 0;
  }

  /** Decrypts a vault text; `what` names the file (and variable) in errors. */
  decrypt(text: string, what: string): string {
    const lines = text.trim().split(/\r?\n/);
    const header = lines[0]!.trim().split(';');
    if (header[0] !== VAULT_HEADER || !['1.1', '1.2'].includes(header[1] ?? '') || header[2]?.trim() !== 'AES256') {
      throw new InventoryError(what, `unsupported vault format "${lines[0]}" (ansible-vault 1.1/1.2 AES256 only)`);
    }
    if (!this.passwords.length) {
      throw new InventoryError(what, 'is vault-encrypted and no vault password was given (--vault-password-file FILE or --ask-vault-pass)');
    }
    const inner = Buffer.from(lines.slice(1).join('').trim(), 'hex').toString('latin1').split('\n');
    if (inner.length < 3) throw new InventoryError(what, 'vault data is malformed');
    const [saltHex, macHex, dataHex] = inner as [string, string, string];
    const salt = Buffer.from(saltHex, 'hex');
    const mac = Buffer.from(macHex, 'hex');
    const data = Buffer.from(dataHex, 'hex');
    for (const pw of this.passwords) {
      const km = pbkdf2Sync(Buffer.from(pw, 'utf8'), salt, 10000, 80, 'sha256');
      const got = createHmac('sha256', km.subarray(32, 64)).update(data).digest();
      if (got.length !== mac.length || !timingSafeEqual(got, mac)) continue;
      const d = createDecipheriv('aes-256-ctr', km.subarray(0, 32), km.subarray(64, 80));
      const padded = Buffer.concat([d.update(data), d.final()]);
      const pad = padded[padded.length - 1] ?? 0;
      if (pad < 1 || pad > 16) throw new InventoryError(what, 'vault data has bad padding');
      const plain = padded.subarray(0, padded.length - pad).toString('utf8');
      return plain;
    }
    throw new InventoryError(what, 'Decryption failed (no vault secrets were found that could decrypt)');
  }
}
