/**
 * Bitmask's validation levels, weakest first: how far a key is known to belong to its address.
 * Apart from the service, so the command definitions name them without loading it.
 */
export const VALIDATION_LEVELS = [
  'Weak_Chain',
  'Provider_Trust',
  'Provider_Endorsement',
  'Third_Party_Endorsement',
  'Third_Party_Consensus',
  'Historically_Auditing',
  'Known_Key',
  'Fingerprint',
] as const;
export type ValidationLevel = (typeof VALIDATION_LEVELS)[number];
