/**
 * The vault (Bitwarden-compatible), as other parts of Hearth use it: identities and registration
 * (./identity.ts), logins and tokens (./tokens.ts), items (./items.ts), sync (./sync.ts). Hearth
 * never sees a master password or a decrypted item: clients encrypt before they send.
 */
export * from './identity.js';
export * from './items.js';
export * from './sync.js';
export * from './tokens.js';
export * as bodies from './bodies.js';
