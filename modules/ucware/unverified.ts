/**
 * UNVERIFIED UCware API method names — guesses, not seen in any public client. Nothing calls
 * them unless a task sets `allowUnverified: true`, and then only after the read methods show
 * the change is still needed. Kept in this one file so that a verified name is one edit.
 */
export const UNVERIFIED_METHODS = {
  /** Create a group: (name, title, type). */
  createGroup: { path: 'admin/group', method: 'newGroup' },
  /** Grant a permission on a target group: (groupId, permission, targetGroupId). */
  addPermission: { path: 'admin/group', method: 'addPermission' },
} as const;
