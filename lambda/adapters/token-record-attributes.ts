/** Attribute names of the split-token record (DESIGN section 2, Curity's aws-token-publisher). */
export const RecordAttributes = {
  /** Partition key by default; the name is configurable. */
  hashedSignature: 'hashed_signature',
  headAndBody: 'head_and_body',
  expiration: 'expiration',
} as const;
