-- Herald schema, PostgreSQL flavour. Timestamps are microseconds since the Unix epoch (UTC),
-- as in SQLite, so one code path serves both; ids are UUIDv7.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Signed-in users. Only the SHA-256 of a token is stored: a leaked database leaks no sessions.
CREATE TABLE session (
    token_hash BYTEA  NOT NULL PRIMARY KEY,
    user_ref   TEXT   NOT NULL,
    created    BIGINT NOT NULL,
    expires    BIGINT NOT NULL
);
CREATE INDEX session_expires ON session (expires);

-- One row per recipient user.
CREATE TABLE notification (
    seq         BIGINT   GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id          UUID     NOT NULL UNIQUE,
    user_ref    TEXT     NOT NULL,
    origin      TEXT     NOT NULL,
    scope       TEXT,
    title       TEXT     NOT NULL,
    description TEXT,
    link        TEXT,
    severity    SMALLINT NOT NULL,        -- 1 critical, 2 high, 3 normal, 4 low
    topic       TEXT,
    icon        TEXT,
    metadata    JSONB,
    created     BIGINT   NOT NULL,
    updated     BIGINT,
    read        BIGINT,
    saved       BIGINT
);
CREATE INDEX notification_user_created ON notification (user_ref, created, id);
CREATE INDEX notification_user_unread ON notification (user_ref, created, id) WHERE read IS NULL;
CREATE INDEX notification_user_saved ON notification (user_ref, created, id) WHERE saved IS NOT NULL;
CREATE INDEX notification_user_topic ON notification (user_ref, topic, created, id) WHERE topic IS NOT NULL;
CREATE INDEX notification_user_unread_topic ON notification (user_ref, topic) WHERE read IS NULL AND topic IS NOT NULL;
CREATE INDEX notification_user_origin ON notification (user_ref, origin, topic);
CREATE UNIQUE INDEX notification_scope ON notification (user_ref, origin, scope) WHERE scope IS NOT NULL;
CREATE INDEX notification_age ON notification ((coalesce(updated, created)));
-- Substring search (ILIKE) on title and description.
CREATE INDEX notification_title_trgm ON notification USING gin (title gin_trgm_ops);
CREATE INDEX notification_description_trgm ON notification USING gin (description gin_trgm_ops);

-- Per-user counts kept by triggers, so /status and the unfiltered list totals never count rows.
CREATE TABLE user_stats (
    user_ref TEXT   NOT NULL PRIMARY KEY,
    total    BIGINT NOT NULL DEFAULT 0,
    unread   BIGINT NOT NULL DEFAULT 0,
    saved    BIGINT NOT NULL DEFAULT 0
);
-- Statement-level, over the transition tables: marking 100,000 rows read is one UPDATE of
-- user_stats, where a row-level trigger would update one row 100,000 times in a transaction and
-- walk an ever longer chain of its versions each time. Users in order, so concurrent statements
-- lock their rows in the same order.
CREATE FUNCTION user_stats_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO user_stats (user_ref, total, unread, saved)
    SELECT user_ref, count(*), count(*) FILTER (WHERE read IS NULL), count(*) FILTER (WHERE saved IS NOT NULL)
    FROM new_rows GROUP BY user_ref ORDER BY user_ref
    ON CONFLICT (user_ref) DO UPDATE SET
        total = user_stats.total + excluded.total,
        unread = user_stats.unread + excluded.unread,
        saved = user_stats.saved + excluded.saved;
    RETURN NULL;
END $$;
CREATE TRIGGER user_stats_insert AFTER INSERT ON notification
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION user_stats_insert();

CREATE FUNCTION user_stats_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE user_stats s SET total = s.total - d.total, unread = s.unread - d.unread, saved = s.saved - d.saved
    FROM (
        SELECT user_ref, count(*) AS total, count(*) FILTER (WHERE read IS NULL) AS unread,
               count(*) FILTER (WHERE saved IS NOT NULL) AS saved
        FROM old_rows GROUP BY user_ref ORDER BY user_ref
    ) d
    WHERE s.user_ref = d.user_ref;
    RETURN NULL;
END $$;
CREATE TRIGGER user_stats_delete AFTER DELETE ON notification
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION user_stats_delete();

-- A notification's recipient never changes, so old and new rows pair up by seq within a user.
CREATE FUNCTION user_stats_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE user_stats s SET unread = s.unread + d.unread, saved = s.saved + d.saved
    FROM (
        SELECT n.user_ref,
               sum((n.read IS NULL)::int - (o.read IS NULL)::int) AS unread,
               sum((n.saved IS NOT NULL)::int - (o.saved IS NOT NULL)::int) AS saved
        FROM new_rows n JOIN old_rows o ON o.seq = n.seq
        GROUP BY n.user_ref ORDER BY n.user_ref
    ) d
    WHERE s.user_ref = d.user_ref AND (d.unread <> 0 OR d.saved <> 0);
    RETURN NULL;
END $$;
CREATE TRIGGER user_stats_update AFTER UPDATE ON notification
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION user_stats_update();

-- A broadcast is one row for everybody; each user's read/saved state is created on first mark.
CREATE TABLE broadcast (
    seq         BIGINT   GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id          UUID     NOT NULL UNIQUE,
    origin      TEXT     NOT NULL,
    scope       TEXT,
    title       TEXT     NOT NULL,
    description TEXT,
    link        TEXT,
    severity    SMALLINT NOT NULL,
    topic       TEXT,
    icon        TEXT,
    metadata    JSONB,
    created     BIGINT   NOT NULL,
    updated     BIGINT
);
CREATE INDEX broadcast_created ON broadcast (created, id);
CREATE UNIQUE INDEX broadcast_scope ON broadcast (origin, scope) WHERE scope IS NOT NULL;
CREATE INDEX broadcast_age ON broadcast ((coalesce(updated, created)));

CREATE TABLE broadcast_state (
    user_ref     TEXT   NOT NULL,
    broadcast_id UUID   NOT NULL REFERENCES broadcast (id) ON DELETE CASCADE,
    read         BIGINT,
    saved        BIGINT,
    PRIMARY KEY (user_ref, broadcast_id)
);
CREATE INDEX broadcast_state_broadcast ON broadcast_state (broadcast_id);

-- Per-user delivery settings: one row per (channel, origin) with topic '', one per topic.
CREATE TABLE user_setting (
    user_ref TEXT    NOT NULL,
    channel  TEXT    NOT NULL,
    origin   TEXT    NOT NULL,
    topic    TEXT    NOT NULL DEFAULT '',
    enabled  BOOLEAN NOT NULL,
    PRIMARY KEY (user_ref, channel, origin, topic)
);
