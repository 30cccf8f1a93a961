-- safeclaw schema 2: audit_records partitioned by month (on time), so that
-- retention (`safeclaw store prune`) drops whole partitions instead of
-- deleting rows. The existing rows are copied into the partitioned table
-- in this migration's transaction: plan a short write pause for large
-- trails (appends wait on the table lock, hosts spool meanwhile).

ALTER TABLE audit_records RENAME TO audit_records_v1;
ALTER INDEX audit_records_pkey RENAME TO audit_records_v1_pkey;
DROP INDEX audit_records_spool, audit_records_time, audit_records_agent, audit_records_decision,
	audit_records_session, audit_records_kinds;

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
	line        text NOT NULL,
	spool_id    text,
	spool_seq   bigint,
	-- A partitioned table's key must hold the partition column; seq stays
	-- unique per stream because appends hold the stream's advisory lock.
	PRIMARY KEY (stream, seq, time)
) PARTITION BY RANGE (time);
CREATE INDEX audit_records_stream_seq ON audit_records (stream, seq);
CREATE INDEX audit_records_spool ON audit_records (stream, spool_id, spool_seq) WHERE spool_id IS NOT NULL;
CREATE INDEX audit_records_time ON audit_records (time);
CREATE INDEX audit_records_agent ON audit_records (agent, time);
CREATE INDEX audit_records_decision ON audit_records (decision, time);
CREATE INDEX audit_records_session ON audit_records (session);
CREATE INDEX audit_records_kinds ON audit_records USING gin (kinds);

-- Rows outside every monthly partition (a clock far off, a month nobody
-- created in time) land here; prune never drops it.
CREATE TABLE audit_records_default PARTITION OF audit_records DEFAULT;

-- audit_ensure_partitions creates the monthly partitions
-- audit_records_pYYYYMM from the month of since through months ahead. It
-- runs as the schema owner (SECURITY DEFINER), so agent hosts, which may
-- only insert, still get next month's partition on their first append. A
-- month the default partition already holds rows of is skipped.
CREATE FUNCTION audit_ensure_partitions(since timestamptz, months integer) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
	m timestamptz := date_trunc('month', since AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
	stop timestamptz := date_trunc('month', (now() AT TIME ZONE 'UTC')) AT TIME ZONE 'UTC' + make_interval(months => months);
	name text;
	made integer := 0;
BEGIN
	IF since IS NULL THEN
		RETURN 0;
	END IF;
	WHILE m <= stop LOOP
		name := 'audit_records_p' || to_char(m AT TIME ZONE 'UTC', 'YYYYMM');
		IF to_regclass(quote_ident(current_schema()) || '.' || name) IS NULL THEN
			BEGIN
				EXECUTE format('CREATE TABLE %I.%I PARTITION OF %I.audit_records FOR VALUES FROM (%L) TO (%L)',
					current_schema(), name, current_schema(), m, m + interval '1 month');
				made := made + 1;
			EXCEPTION WHEN check_violation OR duplicate_table THEN
				NULL; -- rows of that month are in the default partition, or a racing call made it
			END;
		END IF;
		m := m + interval '1 month';
	END LOOP;
	RETURN made;
END $$;

SELECT audit_ensure_partitions(least(now(), (SELECT min(time) FROM audit_records_v1)), 3);
INSERT INTO audit_records SELECT * FROM audit_records_v1;
DROP TABLE audit_records_v1;
