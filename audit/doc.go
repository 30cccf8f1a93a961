// Package audit is safeclaw's tamper-evident audit trail: every decision a
// deciding surface makes is appended as a [Record] before the agent is
// answered, and `safeclaw audit verify` can tell whether anyone edited,
// removed, reordered or forged records since.
//
// # Construction
//
// Each record is stored as its RFC 8785 canonical JSON, one per line. Its
// hash is SHA-256 over the previous record's hash and the record without its
// hash and mac members; its mac is HMAC-SHA256 with the audit key over its
// sequence number and hash, so every record is a keyed checkpoint and a chain
// recomputed without the key fails at the first changed record. A separate
// head seal (an HMAC over the last sequence number and hash) is rewritten on
// every append, so removing records from the end is detected. Retention
// removes whole segments and leaves a sealed prune record that vouches for
// them. docs/audit.md specifies the format for third-party verifiers and
// states the threat model.
//
// # Stores
//
// [Store] is the small interface the deciding surfaces use (append, query,
// verify); [FileStore] is the embedded store (JSON Lines segments, flock on
// the directory for many writer processes, fdatasync in durable mode, size
// rotation, retention with prune records, [FileStore.Repair] for a crash's
// incomplete last line). A fleet store can implement the same contract;
// audit/audittest holds the tests every store must pass, and [Export] writes
// any store's records as JSON Lines or CSV.
//
// # Redaction
//
// [Prepare] (called by every store's Append) redacts secrets from the stored
// copy with [Redact] and keeps a keyed hash of the original request. The
// decision is always made on the original input, never on the redacted copy;
// that is the caller's duty.
//
// # Queries
//
// [ParseFilter] reads the filter language of `safeclaw audit --filter`
// (action:network decision:deny rule:"Block Python HTTP server" since:1h ...).
//
// # Current limitations
//
//   - Someone who can read the key (an agent running as the same user outside
//     `safeclaw run`) can forge a consistent trail; someone who can write the
//     state directory can roll the whole trail and head back to an earlier
//     state together, or, with a copy of an old head, cut records after it
//     (verify notes a head behind the log but cannot call it tampering, as a
//     crash leaves the same). Only keeping the state away from the agent
//     (safeclaw run) or an external, insert-only store closes these.
//   - Verify checks the records, their order and where the head's record
//     ends, not where the other segments split: a whole segment merged into
//     the one before it, or one split at a record boundary into correctly
//     named files, changes no record and is not reported.
//   - Redaction is pattern-based: secrets in forms it does not know stay.
//   - Execution outcomes are not yet linked records.
//   - The file store needs flock (Unix); elsewhere appends fail, and so deny.
package audit
