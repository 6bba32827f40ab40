-- A minimum severity is a filter of the list, its counts and the topics. Severity was in no
-- index and no kept count, so each of those read every row of the user (the heavy user's count
-- at 1,000,000 rows: 257-378 ms), and a page of a severity the user rarely gets walked back
-- through their whole history to fill itself.

-- A page of one severity, newest or oldest first, in the all or unread view, is a range of one
-- of these; a minimum severity reads one range per severity and merges them by `created`.
CREATE INDEX notification_user_severity ON notification (user_ref, severity, created, id);
CREATE INDEX notification_user_unread_severity ON notification (user_ref, severity, created, id) WHERE read IS NULL;

-- The kept counts, per severity: a count at or above a severity adds at most four rows.
DROP TRIGGER user_stats_insert;
DROP TRIGGER user_stats_delete;
DROP TRIGGER user_stats_update;
DROP TABLE user_stats;

CREATE TABLE user_stats (
    user_ref TEXT    NOT NULL,
    severity INTEGER NOT NULL,
    total    INTEGER NOT NULL DEFAULT 0,
    unread   INTEGER NOT NULL DEFAULT 0,
    saved    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_ref, severity)
) WITHOUT ROWID;

INSERT INTO user_stats (user_ref, severity, total, unread, saved)
SELECT user_ref, severity, count(*), count(*) - count(read), count(saved)
FROM notification GROUP BY user_ref, severity;

CREATE TRIGGER user_stats_insert AFTER INSERT ON notification BEGIN
    INSERT INTO user_stats (user_ref, severity, total, unread, saved)
    VALUES (new.user_ref, new.severity, 1, new.read IS NULL, new.saved IS NOT NULL)
    ON CONFLICT (user_ref, severity) DO UPDATE SET
        total = total + 1, unread = unread + excluded.unread, saved = saved + excluded.saved;
END;
CREATE TRIGGER user_stats_delete AFTER DELETE ON notification BEGIN
    UPDATE user_stats SET
        total = total - 1,
        unread = unread - (old.read IS NULL),
        saved = saved - (old.saved IS NOT NULL)
    WHERE user_ref = old.user_ref AND severity = old.severity;
END;
CREATE TRIGGER user_stats_update AFTER UPDATE OF read, saved ON notification
WHEN old.severity = new.severity
    AND ((old.read IS NULL) <> (new.read IS NULL) OR (old.saved IS NULL) <> (new.saved IS NULL)) BEGIN
    UPDATE user_stats SET
        unread = unread + (new.read IS NULL) - (old.read IS NULL),
        saved = saved + (new.saved IS NOT NULL) - (old.saved IS NOT NULL)
    WHERE user_ref = new.user_ref AND severity = new.severity;
END;
-- A scope re-send may change a notification's severity: it then moves between counts.
CREATE TRIGGER user_stats_severity AFTER UPDATE OF severity ON notification
WHEN old.severity <> new.severity BEGIN
    UPDATE user_stats SET
        total = total - 1,
        unread = unread - (old.read IS NULL),
        saved = saved - (old.saved IS NOT NULL)
    WHERE user_ref = old.user_ref AND severity = old.severity;
    INSERT INTO user_stats (user_ref, severity, total, unread, saved)
    VALUES (new.user_ref, new.severity, 1, new.read IS NULL, new.saved IS NOT NULL)
    ON CONFLICT (user_ref, severity) DO UPDATE SET
        total = total + 1, unread = unread + excluded.unread, saved = saved + excluded.saved;
END;

-- The same for broadcasts (with 8,200 broadcasts, a page of the few critical ones read all of
-- them through broadcast_created), and their counts at or above a severity.
CREATE INDEX broadcast_severity ON broadcast (severity, created, id);

-- A list of topics at or above a severity seeks into each broadcast topic for one.
DROP INDEX broadcast_topic;
CREATE INDEX broadcast_topic ON broadcast (topic, severity) WHERE topic IS NOT NULL;
