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
CREATE FUNCTION user_stats_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO user_stats (user_ref, total, unread, saved)
        VALUES (NEW.user_ref, 1, (NEW.read IS NULL)::int, (NEW.saved IS NOT NULL)::int)
        ON CONFLICT (user_ref) DO UPDATE SET
            total = user_stats.total + 1,
            unread = user_stats.unread + excluded.unread,
            saved = user_stats.saved + excluded.saved;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE user_stats SET
            total = total - 1,
            unread = unread - (OLD.read IS NULL)::int,
            saved = saved - (OLD.saved IS NOT NULL)::int
        WHERE user_ref = OLD.user_ref;
    ELSIF (OLD.read IS NULL) <> (NEW.read IS NULL) OR (OLD.saved IS NULL) <> (NEW.saved IS NULL) THEN
        UPDATE user_stats SET
            unread = unread + (NEW.read IS NULL)::int - (OLD.read IS NULL)::int,
            saved = saved + (NEW.saved IS NOT NULL)::int - (OLD.saved IS NOT NULL)::int
        WHERE user_ref = NEW.user_ref;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER user_stats_track AFTER INSERT OR DELETE OR UPDATE OF read, saved ON notification
    FOR EACH ROW EXECUTE FUNCTION user_stats_track();

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
