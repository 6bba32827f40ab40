-- Herald schema, SQLite flavour. Timestamps are microseconds since the Unix epoch (UTC);
-- ids are UUIDv7 stored as 16-byte blobs; entity refs are canonical lower-case strings.

-- Signed-in users. Only the SHA-256 of a token is stored: a leaked database leaks no sessions.
CREATE TABLE session (
    token_hash BLOB    NOT NULL PRIMARY KEY,
    user_ref   TEXT    NOT NULL,
    created    INTEGER NOT NULL,
    expires    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX session_expires ON session (expires);

-- One row per recipient user.
CREATE TABLE notification (
    seq         INTEGER PRIMARY KEY,      -- stable rowid for the full-text index
    id          BLOB    NOT NULL UNIQUE,
    user_ref    TEXT    NOT NULL,
    origin      TEXT    NOT NULL,
    scope       TEXT,
    title       TEXT    NOT NULL,
    description TEXT,
    link        TEXT,
    severity    INTEGER NOT NULL,         -- 1 critical, 2 high, 3 normal, 4 low
    topic       TEXT,
    icon        TEXT,
    metadata    TEXT,                     -- JSON object, as sent
    created     INTEGER NOT NULL,
    updated     INTEGER,
    read        INTEGER,
    saved       INTEGER
);
-- A page of a user's list, newest or oldest first, in any view, is a range scan of one of these.
CREATE INDEX notification_user_created ON notification (user_ref, created, id);
CREATE INDEX notification_user_unread ON notification (user_ref, created, id) WHERE read IS NULL;
CREATE INDEX notification_user_saved ON notification (user_ref, created, id) WHERE saved IS NOT NULL;
-- Topic filter, and distinct topics by skipping through the index.
CREATE INDEX notification_user_topic ON notification (user_ref, topic, created, id) WHERE topic IS NOT NULL;
CREATE INDEX notification_user_unread_topic ON notification (user_ref, topic) WHERE read IS NULL AND topic IS NOT NULL;
-- Distinct origins and (origin, topic) pairs for settings; sorting by origin.
CREATE INDEX notification_user_origin ON notification (user_ref, origin, topic);
-- A send with the same (origin, scope) updates the user's existing row: at most one may exist.
CREATE UNIQUE INDEX notification_scope ON notification (user_ref, origin, scope) WHERE scope IS NOT NULL;
-- Retention sweeps by age.
CREATE INDEX notification_age ON notification (coalesce(updated, created));

-- Substring search (case-insensitive) on title and description: trigrams without positions
-- (a quarter of the size), enough to narrow a search down to the rows LIKE then checks.
CREATE VIRTUAL TABLE notification_text USING fts5 (
    title, description,
    content = 'notification', content_rowid = 'seq',
    tokenize = 'trigram case_sensitive 0', detail = 'none'
);
CREATE TRIGGER notification_text_insert AFTER INSERT ON notification BEGIN
    INSERT INTO notification_text (rowid, title, description) VALUES (new.seq, new.title, new.description);
END;
CREATE TRIGGER notification_text_delete AFTER DELETE ON notification BEGIN
    INSERT INTO notification_text (notification_text, rowid, title, description)
    VALUES ('delete', old.seq, old.title, old.description);
END;
CREATE TRIGGER notification_text_update AFTER UPDATE OF title, description ON notification BEGIN
    INSERT INTO notification_text (notification_text, rowid, title, description)
    VALUES ('delete', old.seq, old.title, old.description);
    INSERT INTO notification_text (rowid, title, description) VALUES (new.seq, new.title, new.description);
END;

-- Per-user counts kept by triggers, so /status and the unfiltered list totals never count rows.
CREATE TABLE user_stats (
    user_ref TEXT    NOT NULL PRIMARY KEY,
    total    INTEGER NOT NULL DEFAULT 0,
    unread   INTEGER NOT NULL DEFAULT 0,
    saved    INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TRIGGER user_stats_insert AFTER INSERT ON notification BEGIN
    INSERT INTO user_stats (user_ref, total, unread, saved)
    VALUES (new.user_ref, 1, new.read IS NULL, new.saved IS NOT NULL)
    ON CONFLICT (user_ref) DO UPDATE SET
        total = total + 1, unread = unread + excluded.unread, saved = saved + excluded.saved;
END;
CREATE TRIGGER user_stats_delete AFTER DELETE ON notification BEGIN
    UPDATE user_stats SET
        total = total - 1,
        unread = unread - (old.read IS NULL),
        saved = saved - (old.saved IS NOT NULL)
    WHERE user_ref = old.user_ref;
END;
CREATE TRIGGER user_stats_update AFTER UPDATE OF read, saved ON notification
WHEN (old.read IS NULL) <> (new.read IS NULL) OR (old.saved IS NULL) <> (new.saved IS NULL) BEGIN
    UPDATE user_stats SET
        unread = unread + (new.read IS NULL) - (old.read IS NULL),
        saved = saved + (new.saved IS NOT NULL) - (old.saved IS NOT NULL)
    WHERE user_ref = new.user_ref;
END;

-- A broadcast is one row for everybody; each user's read/saved state is created on first mark.
CREATE TABLE broadcast (
    seq         INTEGER PRIMARY KEY,
    id          BLOB    NOT NULL UNIQUE,
    origin      TEXT    NOT NULL,
    scope       TEXT,
    title       TEXT    NOT NULL,
    description TEXT,
    link        TEXT,
    severity    INTEGER NOT NULL,
    topic       TEXT,
    icon        TEXT,
    metadata    TEXT,
    created     INTEGER NOT NULL,
    updated     INTEGER
);
CREATE INDEX broadcast_created ON broadcast (created, id);
CREATE UNIQUE INDEX broadcast_scope ON broadcast (origin, scope) WHERE scope IS NOT NULL;
CREATE INDEX broadcast_age ON broadcast (coalesce(updated, created));

CREATE TABLE broadcast_state (
    user_ref     TEXT    NOT NULL,
    broadcast_id BLOB    NOT NULL REFERENCES broadcast (id) ON DELETE CASCADE,
    read         INTEGER,
    saved        INTEGER,
    PRIMARY KEY (user_ref, broadcast_id)
) WITHOUT ROWID;
CREATE INDEX broadcast_state_broadcast ON broadcast_state (broadcast_id);

-- Per-user delivery settings: one row per (channel, origin) with topic '', one per topic.
CREATE TABLE user_setting (
    user_ref TEXT    NOT NULL,
    channel  TEXT    NOT NULL,
    origin   TEXT    NOT NULL,
    topic    TEXT    NOT NULL DEFAULT '',
    enabled  INTEGER NOT NULL,
    PRIMARY KEY (user_ref, channel, origin, topic)
) WITHOUT ROWID;
