-- safeclaw schema 1: the audit trail (one hash chain per stream) and the
-- approval store (requests, session grants, notification outbox).

CREATE TABLE audit_streams (
	name    text PRIMARY KEY,
	key_id  text NOT NULL,            -- which audit key seals the stream
	created timestamptz NOT NULL DEFAULT now()
);

-- Insert-only: agent hosts get INSERT and SELECT, never UPDATE or DELETE.
CREATE TABLE audit_records (
	stream      text NOT NULL REFERENCES audit_streams (name),
	seq         bigint NOT NULL,
	time        timestamptz NOT NULL,
	type        text NOT NULL,
	surface     text NOT NULL DEFAULT '',
	agent       text NOT NULL DEFAULT '',
	session     text NOT NULL DEFAULT '',
	cwd         text NOT NULL DEFAULT '',
	decision    text NOT NULL DEFAULT '',
	rule_name   text NOT NULL DEFAULT '',
	rule_reason text NOT NULL DEFAULT '',
	rule_source text NOT NULL DEFAULT '',
	kinds       text[] NOT NULL DEFAULT '{}',
	hash        text NOT NULL,
	line        text NOT NULL,        -- the record's canonical JSON, as in the file trail
	-- Set for records shipped from a local spool: which spool (the hash of
	-- its first record) and the record's sequence number there, so that
	-- shipping resumes exactly where it stopped.
	spool_id    text,
	spool_seq   bigint,
	PRIMARY KEY (stream, seq)
);
CREATE INDEX audit_records_spool ON audit_records (stream, spool_id, spool_seq) WHERE spool_id IS NOT NULL;
CREATE INDEX audit_records_time ON audit_records (time);
CREATE INDEX audit_records_agent ON audit_records (agent, time);
CREATE INDEX audit_records_decision ON audit_records (decision, time);
CREATE INDEX audit_records_session ON audit_records (session);
CREATE INDEX audit_records_kinds ON audit_records USING gin (kinds);

-- Keyed checkpoints: a sealed (seq, hash) per append transaction, so that
-- removing the newest records of a stream shows as truncation.
CREATE TABLE audit_checkpoints (
	stream text NOT NULL REFERENCES audit_streams (name),
	seq    bigint NOT NULL,
	hash   text NOT NULL,
	mac    text NOT NULL,
	time   timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (stream, seq)
);

CREATE TABLE approval_requests (
	id           text PRIMARY KEY,
	hash         text NOT NULL,
	status       text NOT NULL,
	created_ns   bigint NOT NULL,
	deadline_ns  bigint NOT NULL,
	surface      text NOT NULL DEFAULT '',
	agent        text NOT NULL DEFAULT '',
	session      text NOT NULL DEFAULT '',
	cwd          text NOT NULL DEFAULT '',
	input        text NOT NULL,
	parts_json   text NOT NULL,
	rule_json    text NOT NULL DEFAULT '',
	reason       text NOT NULL DEFAULT '',
	policy_hash  text NOT NULL DEFAULT '',
	requester    text NOT NULL DEFAULT '',
	request_json text NOT NULL,
	answer_json  text NOT NULL DEFAULT '',
	approver     text NOT NULL DEFAULT '',
	used_ns      bigint NOT NULL DEFAULT 0
);
CREATE INDEX approval_requests_status ON approval_requests (status, deadline_ns);
CREATE INDEX approval_requests_hash ON approval_requests (hash);
CREATE INDEX approval_requests_created ON approval_requests (created_ns);

-- Every change of a request wakes the processes waiting on it, whichever
-- machine made the change.
CREATE FUNCTION approval_requests_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('safeclaw_approvals_' || TG_TABLE_SCHEMA, NEW.id);
	RETURN NEW;
END $$;
CREATE TRIGGER approval_requests_changed AFTER UPDATE ON approval_requests
	FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.used_ns IS DISTINCT FROM NEW.used_ns)
	EXECUTE FUNCTION approval_requests_notify();

-- Agent hosts may expire and use requests but not approve them: when a
-- role named safeclaw_reviewer exists, only its members (and superusers)
-- may move a request to approved (see docs/fleet.md).
CREATE FUNCTION approval_requests_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.status = 'approved' AND OLD.status IS DISTINCT FROM 'approved'
		AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'safeclaw_reviewer')
		AND NOT pg_has_role(current_user, 'safeclaw_reviewer', 'MEMBER') THEN
		RAISE EXCEPTION 'role % may not approve safeclaw requests (not a member of safeclaw_reviewer)', current_user
			USING ERRCODE = 'insufficient_privilege';
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER approval_requests_guard BEFORE UPDATE ON approval_requests
	FOR EACH ROW EXECUTE FUNCTION approval_requests_guard();

CREATE TABLE approval_grants (
	hash       text PRIMARY KEY,
	grant_json text NOT NULL,
	expires_ns bigint NOT NULL
);

CREATE TABLE approval_outbox (
	id         bigserial PRIMARY KEY,
	target     text NOT NULL,
	event_json text NOT NULL,
	created_ns bigint NOT NULL,
	attempts   integer NOT NULL DEFAULT 0,
	next_ns    bigint NOT NULL,
	lease_ns   bigint NOT NULL DEFAULT 0,
	state      text NOT NULL DEFAULT 'queued',
	last_error text NOT NULL DEFAULT '',
	done_ns    bigint NOT NULL DEFAULT 0
);
CREATE INDEX approval_outbox_due ON approval_outbox (state, next_ns);
