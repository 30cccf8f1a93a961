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
