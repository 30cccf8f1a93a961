-- safeclaw schema 3: approval quorums. A request can need approvals from
-- several different people, or from named approvers (needs_json, set when
-- the request is filed); approvals short of the quorum gather in
-- votes_json.
ALTER TABLE approval_requests
	ADD COLUMN needs_json text NOT NULL DEFAULT '',
	ADD COLUMN votes_json text NOT NULL DEFAULT '';

-- The database, not the client, says who approved: each vote names the
-- role that cast it (current_user), a role votes once, a request that needs
-- named approvers takes approvals only from those roles, and one that needs
-- a quorum is approved only with that many distinct roles' votes. Adding a
-- vote is an approval act: when safeclaw_reviewer exists, only its members
-- may.
CREATE OR REPLACE FUNCTION approval_requests_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	needs  jsonb := NULLIF(OLD.needs_json, '')::jsonb;
	before jsonb := COALESCE(NULLIF(OLD.votes_json, '')::jsonb, '[]'::jsonb);
	after  jsonb := COALESCE(NULLIF(NEW.votes_json, '')::jsonb, '[]'::jsonb);
	approving boolean := NEW.status = 'approved' AND OLD.status IS DISTINCT FROM 'approved';
	voting    boolean := NEW.votes_json IS DISTINCT FROM OLD.votes_json;
BEGIN
	IF (approving OR voting)
		AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'safeclaw_reviewer')
		AND NOT pg_has_role(current_user, 'safeclaw_reviewer', 'MEMBER') THEN
		RAISE EXCEPTION 'role % may not approve safeclaw requests (not a member of safeclaw_reviewer)', current_user
			USING ERRCODE = 'insufficient_privilege';
	END IF;
	IF NEW.needs_json IS DISTINCT FROM OLD.needs_json THEN
		RAISE EXCEPTION 'the approval needs of request % cannot change', OLD.id USING ERRCODE = 'insufficient_privilege';
	END IF;
	IF voting THEN
		IF OLD.status <> 'pending' OR jsonb_array_length(after) <> jsonb_array_length(before) + 1
			OR after <> before || jsonb_build_array(after -> -1)
			OR (after -> -1 ->> 'principal') IS DISTINCT FROM current_user::text
			OR EXISTS (SELECT 1 FROM jsonb_array_elements(before) v WHERE v ->> 'principal' = current_user::text) THEN
			RAISE EXCEPTION 'role % may only add its own one vote to a pending request', current_user
				USING ERRCODE = 'insufficient_privilege';
		END IF;
	END IF;
	IF (approving OR voting) AND needs IS NOT NULL THEN
		IF jsonb_typeof(needs -> 'approvers') = 'array' AND jsonb_array_length(needs -> 'approvers') > 0
			AND NOT (needs -> 'approvers') ? current_user::text THEN
			RAISE EXCEPTION 'role % is not one of the approvers request % names', current_user, OLD.id
				USING ERRCODE = 'insufficient_privilege';
		END IF;
		IF approving AND COALESCE((needs ->> 'quorum')::int, 1) > 1
			AND (SELECT count(DISTINCT v ->> 'principal') FROM jsonb_array_elements(after) v)
				< (needs ->> 'quorum')::int THEN
			RAISE EXCEPTION 'request % needs % distinct approvers', OLD.id, needs ->> 'quorum'
				USING ERRCODE = 'insufficient_privilege';
		END IF;
	END IF;
	RETURN NEW;
END $$;

-- The approval guard holds every way around the vote.
-- Agent hosts and reviewers may insert and update approval rows (see
-- docs/fleet.md), so guarding the move to approved is not enough:
--   * a request is filed pending, with no answer, votes or use, and with
--     needs that read as needs;
--   * what a request is (its binding hash, request, policy, needs, times
--     and what approvers are shown) never changes once filed;
--   * a request leaves pending once: an answered one keeps its status,
--     answer and votes, and an approval is used once (used_ns moves from 0,
--     never back);
--   * needs that nobody can meet ("none") approve nothing;
--   * a session grant is written by a reviewer (once that role exists), for
--     the hash of a request that was approved for the session.

CREATE FUNCTION approval_requests_insert_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	needs jsonb;
BEGIN
	IF NEW.status <> 'pending' OR NEW.answer_json <> '' OR NEW.votes_json <> '' OR NEW.approver <> '' OR NEW.used_ns <> 0 THEN
		RAISE EXCEPTION 'approval request % must be filed pending, without answer, votes or use', NEW.id
			USING ERRCODE = 'insufficient_privilege';
	END IF;
	IF NEW.needs_json <> '' THEN
		needs := NEW.needs_json::jsonb;
		IF jsonb_typeof(needs) <> 'object' OR jsonb_typeof(needs -> 'quorum') IS DISTINCT FROM 'number'
			OR (needs ->> 'quorum') !~ '^[0-9]{1,2}$' OR (needs ->> 'quorum')::int NOT BETWEEN 1 AND 16
			OR (needs ? 'approvers' AND jsonb_typeof(needs -> 'approvers') NOT IN ('array', 'null')) THEN
			RAISE EXCEPTION 'approval request % has malformed needs', NEW.id USING ERRCODE = 'check_violation';
		END IF;
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER approval_requests_insert_guard BEFORE INSERT ON approval_requests
	FOR EACH ROW EXECUTE FUNCTION approval_requests_insert_guard();

CREATE OR REPLACE FUNCTION approval_requests_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	-- The columns an answer, a vote or a use may change; every other one
	-- is what the request is.
	mutable text[] := ARRAY['status', 'answer_json', 'approver', 'used_ns', 'votes_json'];
	needs  jsonb := NULLIF(OLD.needs_json, '')::jsonb;
	before jsonb := COALESCE(NULLIF(OLD.votes_json, '')::jsonb, '[]'::jsonb);
	after  jsonb;
	approving boolean := NEW.status = 'approved' AND OLD.status IS DISTINCT FROM 'approved';
	voting    boolean := NEW.votes_json IS DISTINCT FROM OLD.votes_json;
BEGIN
	IF (approving OR voting)
		AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'safeclaw_reviewer')
		AND NOT pg_has_role(current_user, 'safeclaw_reviewer', 'MEMBER') THEN
		RAISE EXCEPTION 'role % may not approve safeclaw requests (not a member of safeclaw_reviewer)', current_user
			USING ERRCODE = 'insufficient_privilege';
	END IF;
	IF NEW.needs_json IS DISTINCT FROM OLD.needs_json THEN
		RAISE EXCEPTION 'the approval needs of request % cannot change', OLD.id USING ERRCODE = 'insufficient_privilege';
	END IF;
	IF (to_jsonb(NEW) - mutable) IS DISTINCT FROM (to_jsonb(OLD) - mutable) THEN
		RAISE EXCEPTION 'approval request % cannot change after it is filed (only its answer, votes and use can)', OLD.id
			USING ERRCODE = 'insufficient_privilege';
	END IF;
	IF OLD.status <> 'pending' AND (NEW.status IS DISTINCT FROM OLD.status OR NEW.answer_json IS DISTINCT FROM OLD.answer_json
		OR NEW.approver IS DISTINCT FROM OLD.approver OR voting) THEN
		RAISE EXCEPTION 'approval request % was answered already (%); its answer cannot change', OLD.id, OLD.status
			USING ERRCODE = 'insufficient_privilege';
	END IF;
	IF NEW.used_ns IS DISTINCT FROM OLD.used_ns AND (OLD.used_ns <> 0 OR OLD.status <> 'approved' OR NEW.status <> 'approved') THEN
		RAISE EXCEPTION 'approval request % can be used once, after it is approved', OLD.id
			USING ERRCODE = 'insufficient_privilege';
	END IF;
	IF voting THEN
		after := COALESCE(NULLIF(NEW.votes_json, '')::jsonb, '[]'::jsonb);
		IF OLD.status <> 'pending' OR jsonb_typeof(after) <> 'array'
			OR jsonb_array_length(after) <> jsonb_array_length(before) + 1
			OR after <> before || jsonb_build_array(after -> -1)
			OR (after -> -1 ->> 'principal') IS DISTINCT FROM current_user::text
			OR EXISTS (SELECT 1 FROM jsonb_array_elements(before) v WHERE v ->> 'principal' = current_user::text) THEN
			RAISE EXCEPTION 'role % may only add its own one vote to a pending request', current_user
				USING ERRCODE = 'insufficient_privilege';
		END IF;
	ELSE
		after := before;
	END IF;
	IF (approving OR voting) AND needs IS NOT NULL THEN
		IF needs ->> 'none' = 'true' THEN
			RAISE EXCEPTION 'nobody can approve request % (its rules name no approver in common)', OLD.id
				USING ERRCODE = 'insufficient_privilege';
		END IF;
		IF jsonb_typeof(needs -> 'approvers') = 'array' AND jsonb_array_length(needs -> 'approvers') > 0
			AND NOT (needs -> 'approvers') ? current_user::text THEN
			RAISE EXCEPTION 'role % is not one of the approvers request % names', current_user, OLD.id
				USING ERRCODE = 'insufficient_privilege';
		END IF;
		IF approving AND COALESCE((needs ->> 'quorum')::int, 1) > 1
			AND (SELECT count(DISTINCT v ->> 'principal') FROM jsonb_array_elements(after) v)
				< (needs ->> 'quorum')::int THEN
			RAISE EXCEPTION 'request % needs % distinct approvers', OLD.id, needs ->> 'quorum'
				USING ERRCODE = 'insufficient_privilege';
		END IF;
	END IF;
	RETURN NEW;
END $$;

CREATE FUNCTION approval_grants_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'safeclaw_reviewer')
		AND NOT pg_has_role(current_user, 'safeclaw_reviewer', 'MEMBER') THEN
		RAISE EXCEPTION 'role % may not grant safeclaw requests for a session (not a member of safeclaw_reviewer)', current_user
			USING ERRCODE = 'insufficient_privilege';
	END IF;
	IF NOT EXISTS (SELECT 1 FROM approval_requests r
		WHERE r.id = NEW.grant_json::jsonb ->> 'request_id' AND r.hash = NEW.hash
			AND NEW.grant_json::jsonb ->> 'hash' = NEW.hash
			AND r.status = 'approved' AND NULLIF(r.answer_json, '')::jsonb ->> 'scope' = 'session') THEN
		RAISE EXCEPTION 'a session grant needs a request for the same hash approved for the session'
			USING ERRCODE = 'insufficient_privilege';
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER approval_grants_guard BEFORE INSERT OR UPDATE ON approval_grants
	FOR EACH ROW EXECUTE FUNCTION approval_grants_guard();
