/**
 * Every secret the run learns (sudo, SSH, MySQL passwords, API tokens) is registered here,
 * and every sink — logs, JSON events, journal, terminal — passes its text through `mask()`.
 * Secrets are kept out of argv and remote environments by construction; this is the second wall.
 */
const known = new Set<string>();

export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 3) known.add(value);
}

export function mask(text: string): string {
  let out = text;
  for (const s of known) if (out.includes(s)) out = out.split(s).join('***');
  return out;
}

/** For tests: forget what the previous run registered. */
export function clearSecrets(): void {
  known.clear();
}
