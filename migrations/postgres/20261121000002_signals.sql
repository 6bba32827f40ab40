-- The signal log: every signal, in commit order, kept for a while so a client that lost its
-- connection can resume where it stopped. Instances learn of new rows through NOTIFY.

-- One row: the last position handed out, and the last one pruned from the log. Writers take
-- the row lock just before committing, which makes positions gapless and in commit order.
CREATE TABLE signal_position (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    head    BIGINT NOT NULL,
    pruned  BIGINT NOT NULL
);
INSERT INTO signal_position (id, head, pruned) VALUES (1, 0, 0);

CREATE TABLE signal (
    seq       BIGINT  PRIMARY KEY,
    created   BIGINT  NOT NULL,
    channel   TEXT    NOT NULL,
    broadcast BOOLEAN NOT NULL,
    message   TEXT    NOT NULL
);
CREATE INDEX signal_channel ON signal (channel, seq);
CREATE INDEX signal_created ON signal (created);

CREATE TABLE signal_recipient (
    ref TEXT   NOT NULL,
    seq BIGINT NOT NULL REFERENCES signal (seq) ON DELETE CASCADE,
    PRIMARY KEY (ref, seq)
);
CREATE INDEX signal_recipient_seq ON signal_recipient (seq);
