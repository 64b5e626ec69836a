/** Roles nest (as in Swarm Bee): consumer ⊆ creator ⊆ auditor ⊆ maintainer. */
export const ROLES = ['consumer', 'creator', 'auditor', 'maintainer'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** True when `held` includes every permission of `needed`. */
export function roleCovers(held: Role, needed: Role): boolean {
  return ROLES.indexOf(held) >= ROLES.indexOf(needed);
}
