-- Broadcasts counted by severity. `/status` and every view total counted the broadcasts row by
-- row, growing with every broadcast kept; now a total at or above a severity adds at most four
-- rows, as the personal counts in `user_stats` do. Statement-level over the transition tables,
-- like those; rows in key order, so concurrent statements lock them in the same order.
CREATE TABLE broadcast_stats (
    severity SMALLINT PRIMARY KEY,
    total    BIGINT   NOT NULL
);
INSERT INTO broadcast_stats (severity, total) SELECT severity, count(*) FROM broadcast GROUP BY severity;

CREATE FUNCTION broadcast_stats_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO broadcast_stats AS s (severity, total)
    SELECT severity, count(*) FROM new_rows GROUP BY severity ORDER BY severity
    ON CONFLICT (severity) DO UPDATE SET total = s.total + excluded.total;
    RETURN NULL;
END $$;
CREATE TRIGGER broadcast_stats_insert AFTER INSERT ON broadcast
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION broadcast_stats_insert();

CREATE FUNCTION broadcast_stats_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE broadcast_stats s SET total = s.total - d.total
    FROM (SELECT severity, count(*) AS total FROM old_rows GROUP BY severity ORDER BY severity) d
    WHERE s.severity = d.severity;
    RETURN NULL;
END $$;
CREATE TRIGGER broadcast_stats_delete AFTER DELETE ON broadcast
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION broadcast_stats_delete();

-- What the statement added to each count less what it took away: a scope re-send may move a
-- broadcast to another severity, whose count may not exist yet.
CREATE FUNCTION broadcast_stats_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO broadcast_stats AS s (severity, total)
    SELECT severity, sum(total)
    FROM (SELECT severity, 1 AS total FROM new_rows UNION ALL SELECT severity, -1 FROM old_rows) d
    GROUP BY severity HAVING sum(total) <> 0 ORDER BY severity
    ON CONFLICT (severity) DO UPDATE SET total = s.total + excluded.total;
    RETURN NULL;
END $$;
CREATE TRIGGER broadcast_stats_update AFTER UPDATE ON broadcast
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION broadcast_stats_update();
