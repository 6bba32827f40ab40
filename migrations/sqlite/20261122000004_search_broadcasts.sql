-- Broadcasts join the trigram index as user key 0, which `user_key` never hands out (its keys
-- start at 1): rowid = broadcast.seq. A search then reads the broadcasts holding the term's
-- rarest trigrams instead of checking every broadcast's text (8,200 broadcasts: 1.2 ms of each
-- search), as it does for the user's own rows.

INSERT INTO notification_search (rowid, title, description)
SELECT seq, title, description FROM broadcast ORDER BY seq;

CREATE TRIGGER broadcast_search_insert AFTER INSERT ON broadcast BEGIN
    INSERT INTO notification_search (rowid, title, description) VALUES (new.seq, new.title, new.description);
END;
CREATE TRIGGER broadcast_search_delete AFTER DELETE ON broadcast BEGIN
    DELETE FROM notification_search WHERE rowid = old.seq;
END;
CREATE TRIGGER broadcast_search_update AFTER UPDATE OF title, description ON broadcast BEGIN
    DELETE FROM notification_search WHERE rowid = old.seq;
    INSERT INTO notification_search (rowid, title, description) VALUES (new.seq, new.title, new.description);
END;
