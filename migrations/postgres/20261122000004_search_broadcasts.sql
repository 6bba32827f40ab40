-- Broadcasts get the trigram indexes the notifications have, so a search reads the broadcasts
-- holding the term's rarest trigrams instead of checking every broadcast's text (8,200
-- broadcasts: 9 ms of each search).
CREATE INDEX broadcast_title_trgm ON broadcast USING gin (title gin_trgm_ops);
CREATE INDEX broadcast_description_trgm ON broadcast USING gin (description gin_trgm_ops);
