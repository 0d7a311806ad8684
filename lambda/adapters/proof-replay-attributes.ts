/** The DPoP replay table's attributes: the partition key and the TTL attribute. */
export const ProofReplayAttributes = {
  /** `<jkt>.<jti>` of a used DPoP proof (S, partition key). */
  proofId: 'proof_id',
  /** When the proof's `iat` leaves the window, epoch seconds (N); the table's TTL attribute. */
  expiresAt: 'expires_at',
} as const;
