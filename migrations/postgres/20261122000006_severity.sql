-- A minimum severity is a filter of the list, its counts and the topics. Severity was in no
-- index and no kept count, so each of those read every row of the user, and a page of a
-- severity the user rarely gets walked back through their whole history to fill itself.

-- A page of one severity, newest or oldest first, in the all or unread view, is a range of one
-- of these; a minimum severity reads one range per severity and merges them by `created`.
CREATE INDEX notification_user_severity ON notification (user_ref, severity, created, id);
CREATE INDEX notification_user_unread_severity ON notification (user_ref, severity, created, id) WHERE read IS NULL;

-- The kept counts, per severity: a count at or above a severity adds at most four rows.
DROP TABLE user_stats;
CREATE TABLE user_stats (
    user_ref TEXT     NOT NULL,
    severity SMALLINT NOT NULL,
    total    BIGINT   NOT NULL DEFAULT 0,
    unread   BIGINT   NOT NULL DEFAULT 0,
    saved    BIGINT   NOT NULL DEFAULT 0,
    PRIMARY KEY (user_ref, severity)
);
INSERT INTO user_stats (user_ref, severity, total, unread, saved)
SELECT user_ref, severity, count(*), count(*) - count(read), count(saved)
FROM notification GROUP BY user_ref, severity;

-- Statement-level, over the transition tables, as before (see the init migration); rows in
-- key order, so concurrent statements lock them in the same order.
CREATE OR REPLACE FUNCTION user_stats_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO user_stats (user_ref, severity, total, unread, saved)
    SELECT user_ref, severity, count(*), count(*) - count(read), count(saved)
    FROM new_rows GROUP BY user_ref, severity ORDER BY user_ref, severity
    ON CONFLICT (user_ref, severity) DO UPDATE SET
        total = user_stats.total + excluded.total,
        unread = user_stats.unread + excluded.unread,
        saved = user_stats.saved + excluded.saved;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION user_stats_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE user_stats s SET total = s.total - d.total, unread = s.unread - d.unread, saved = s.saved - d.saved
    FROM (
        SELECT user_ref, severity, count(*) AS total, count(*) - count(read) AS unread, count(saved) AS saved
        FROM old_rows GROUP BY user_ref, severity ORDER BY user_ref, severity
    ) d
    WHERE s.user_ref = d.user_ref AND s.severity = d.severity;
    RETURN NULL;
END $$;

-- What the statement added to each count less what it took away: a scope re-send may move a
-- notification to another severity, whose count may not exist yet.
CREATE OR REPLACE FUNCTION user_stats_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO user_stats AS s (user_ref, severity, total, unread, saved)
    SELECT user_ref, severity, sum(total), sum(unread), sum(saved)
    FROM (
        SELECT user_ref, severity, 1 AS total, (read IS NULL)::int AS unread, (saved IS NOT NULL)::int AS saved
        FROM new_rows
        UNION ALL
        SELECT user_ref, severity, -1, -(read IS NULL)::int, -(saved IS NOT NULL)::int FROM old_rows
    ) d
    GROUP BY user_ref, severity
    HAVING sum(total) <> 0 OR sum(unread) <> 0 OR sum(saved) <> 0
    ORDER BY user_ref, severity
    ON CONFLICT (user_ref, severity) DO UPDATE SET
        total = s.total + excluded.total,
        unread = s.unread + excluded.unread,
        saved = s.saved + excluded.saved;
    RETURN NULL;
END $$;

-- The same for broadcasts (with 8,200 broadcasts, a page of the few critical ones read all of
-- them through broadcast_created), and their counts at or above a severity.
CREATE INDEX broadcast_severity ON broadcast (severity, created, id);

-- A list of topics at or above a severity seeks into each broadcast topic for one.
DROP INDEX broadcast_topic;
CREATE INDEX broadcast_topic ON broadcast (topic, severity) WHERE topic IS NOT NULL;
