// Package pgstore keeps the audit trail and the approval store in
// PostgreSQL, for fleets of machines that share one reviewer queue and one
// trail. It implements [audit.Store] (with [audit.BatchAppender]) and
// [approval.Store] (with [approval.Outbox]); the contract tests in
// audit/audittest and approval/approvaltest run against it.
//
// Audit: each writer appends to one stream (for example host/agent), a hash
// chain of its own with the same record format, hashes and keyed seals as
// the file trail, so writers on different machines never wait on one
// another. Appends take a per-stream advisory lock and need only INSERT and
// SELECT privileges, so agent hosts can be denied UPDATE and DELETE. Each
// append transaction also inserts a keyed checkpoint; Verify checks every
// stream against its records and its newest checkpoint. Query translates a
// [audit.Filter] into indexed SQL and applies [audit.Filter.Match] to what
// comes back, so the semantics are the file trail's.
//
// Approvals: the same semantics as the embedded SQLite store. A trigger
// notifies (LISTEN/NOTIFY) every change of a request, and [Approvals.Watch]
// wakes waiters on any machine within milliseconds; polling stays the
// fallback when the notification connection is down.
//
// The schema is versioned with embedded migrations ([DB.Migrate],
// [DB.Status]); a database whose schema is newer than this build knows is
// refused for reading and writing.
//
// [Spooled] wraps the audit store with a local file trail that takes the
// records while PostgreSQL is unreachable and ships them, in order and
// exactly once, when it is back.
//
// Limitations: no time-partitioned tables yet (retention is a DELETE by an
// administrator, which Verify reports as an unproven prune); checkpoints
// cannot detect the removal of a whole stream by a database administrator;
// one audit key per fleet (a central Verify reports streams sealed with
// another key); an append whose commit succeeded but whose acknowledgement
// was lost to a timeout is spooled as well and then stored twice.
package pgstore
