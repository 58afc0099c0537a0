/**
 * What UCware 5 no longer supports, from the vendor's upgrade article (2023-06-29): a server
 * that still needs any of these must not be upgraded. Kept in one place so a newer list is
 * one edit.
 */
export const UNSUPPORTED_IN_V5 = {
  deskPhones: ['Aastra', 'Gigaset', 'Polycom', 'Samsung', 'Siemens'],
  dect: ['Panasonic DECT', 'Gigaset DECT (supported again from 5.1.1)'],
  apps: ['UCware Mobile App (iPhone, Android)', 'UCware Outlook add-in'],
} as const;

/** Not migrated by the update: users must re-enter these, so tell them and back them up. */
export const NOT_MIGRATED = [
  'call lists',
  'personal voicemail messages and announcements',
  'UI settings',
  'call-forwarding profiles stay but are all INACTIVE after the update',
] as const;

/** The checklist the operator confirms (inventory var `compatibilityConfirmed: true`). */
export function compatibilityChecklist(): string[] {
  return [
    `No desk phones by ${UNSUPPORTED_IN_V5.deskPhones.join(', ')}`,
    `No DECT by ${UNSUPPORTED_IN_V5.dect.join('; ')}`,
    `No ${UNSUPPORTED_IN_V5.apps.join(', no ')}`,
    `Users told what is not migrated: ${NOT_MIGRATED.join('; ')}`,
    'A v5 licence key from UCware sales is at hand',
  ];
}

/** Devices or apps named for a host (inventory var `devices`) that v5 does not support. */
export function unsupportedDevices(devices: readonly string[]): string[] {
  const bad = [...UNSUPPORTED_IN_V5.deskPhones, 'Panasonic', 'Mobile App', 'Outlook'];
  return devices.filter((d) => bad.some((b) => d.toLowerCase().includes(b.toLowerCase())) && !/gigaset dect/i.test(d));
}
