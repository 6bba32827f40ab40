-- Search looks in one user's rows: with the user as the first key of the trigram indexes, one
-- index scan intersects the user's rows with the term's trigrams. Before, a term common across
-- all users was read for every user and its rows filtered by user afterwards (30 ms against
-- 8 ms for a term in 0.5 % of a 100,000-row user's notifications).
CREATE EXTENSION IF NOT EXISTS btree_gin;
CREATE INDEX notification_user_title_trgm ON notification USING gin (user_ref, title gin_trgm_ops);
CREATE INDEX notification_user_description_trgm ON notification USING gin (user_ref, description gin_trgm_ops);
DROP INDEX notification_title_trgm;
DROP INDEX notification_description_trgm;
