-- The signal log: every signal, in commit order, kept for a while so a client that lost its
-- connection can resume where it stopped.

-- One row: the last position handed out, and the last one pruned from the log.
CREATE TABLE signal_position (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    head    INTEGER NOT NULL,
    pruned  INTEGER NOT NULL
);
INSERT INTO signal_position (id, head, pruned) VALUES (1, 0, 0);

CREATE TABLE signal (
    seq       INTEGER PRIMARY KEY,         -- the position: gapless, in commit order
    created   INTEGER NOT NULL,
    channel   TEXT    NOT NULL,
    broadcast INTEGER NOT NULL,
    message   TEXT    NOT NULL             -- JSON object, as delivered
);
CREATE INDEX signal_channel ON signal (channel, seq);
CREATE INDEX signal_created ON signal (created);

-- Who a targeted signal is for: user or group refs (a user's ownership refs match).
CREATE TABLE signal_recipient (
    ref TEXT    NOT NULL,
    seq INTEGER NOT NULL REFERENCES signal (seq) ON DELETE CASCADE,
    PRIMARY KEY (ref, seq)
) WITHOUT ROWID;
CREATE INDEX signal_recipient_seq ON signal_recipient (seq);
