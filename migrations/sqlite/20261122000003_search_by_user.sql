-- Search by user: each user's rows sit in a rowid range of their own in the trigram index, so a
-- search reads only the searching user's part of each trigram's list. With one shared range a
-- term in 0.5 % of a 1,000,000-row table gave 5,000 candidates to look up and check for the
-- user, whoever searched (17 ms); within the user's range it gives only the user's own.

-- A small number for every user that has ever had a personal notification; never reused or
-- removed, since the index's rowids are built from it.
CREATE TABLE user_key (
    key      INTEGER PRIMARY KEY,
    user_ref TEXT    NOT NULL UNIQUE
);
INSERT INTO user_key (user_ref) SELECT DISTINCT user_ref FROM notification ORDER BY user_ref;

DROP TRIGGER notification_text_insert;
DROP TRIGGER notification_text_delete;
DROP TRIGGER notification_text_update;
DROP TABLE notification_text;

-- Rowid = user key << 40 | notification.seq: 2^40 notifications, 2^23 users. Contentless (the
-- text is in `notification`), with deletes by rowid.
CREATE VIRTUAL TABLE notification_search USING fts5 (
    title, description,
    content = '', contentless_delete = 1,
    tokenize = 'trigram case_sensitive 0', detail = 'none'
);
INSERT INTO notification_search (rowid, title, description)
SELECT (k.key << 40) | n.seq, n.title, n.description
FROM notification n JOIN user_key k ON k.user_ref = n.user_ref
ORDER BY 1;

CREATE TRIGGER notification_search_insert AFTER INSERT ON notification BEGIN
    INSERT INTO user_key (user_ref) VALUES (new.user_ref) ON CONFLICT (user_ref) DO NOTHING;
    INSERT INTO notification_search (rowid, title, description)
    SELECT (key << 40) | new.seq, new.title, new.description FROM user_key WHERE user_ref = new.user_ref;
END;
CREATE TRIGGER notification_search_delete AFTER DELETE ON notification BEGIN
    DELETE FROM notification_search
    WHERE rowid = (SELECT (key << 40) | old.seq FROM user_key WHERE user_ref = old.user_ref);
END;
CREATE TRIGGER notification_search_update AFTER UPDATE OF title, description ON notification BEGIN
    DELETE FROM notification_search
    WHERE rowid = (SELECT (key << 40) | old.seq FROM user_key WHERE user_ref = old.user_ref);
    INSERT INTO notification_search (rowid, title, description)
    SELECT (key << 40) | new.seq, new.title, new.description FROM user_key WHERE user_ref = new.user_ref;
END;
