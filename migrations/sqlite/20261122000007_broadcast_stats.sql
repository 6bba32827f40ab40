-- Broadcasts counted by severity. `/status` and every view total counted the broadcasts row by
-- row (8,200 broadcasts: 0.3 ms of each `/status`, growing with every broadcast kept); now a
-- total at or above a severity adds at most four rows, as the personal counts in `user_stats` do.
CREATE TABLE broadcast_stats (
    severity INTEGER PRIMARY KEY,
    total    INTEGER NOT NULL
);
INSERT INTO broadcast_stats (severity, total) SELECT severity, count(*) FROM broadcast GROUP BY severity;

CREATE TRIGGER broadcast_stats_insert AFTER INSERT ON broadcast BEGIN
    INSERT INTO broadcast_stats (severity, total) VALUES (new.severity, 1)
    ON CONFLICT (severity) DO UPDATE SET total = total + 1;
END;
CREATE TRIGGER broadcast_stats_delete AFTER DELETE ON broadcast BEGIN
    UPDATE broadcast_stats SET total = total - 1 WHERE severity = old.severity;
END;
-- A scope re-send may change a broadcast's severity: it then moves between counts.
CREATE TRIGGER broadcast_stats_severity AFTER UPDATE OF severity ON broadcast
WHEN old.severity <> new.severity BEGIN
    UPDATE broadcast_stats SET total = total - 1 WHERE severity = old.severity;
    INSERT INTO broadcast_stats (severity, total) VALUES (new.severity, 1)
    ON CONFLICT (severity) DO UPDATE SET total = total + 1;
END;
