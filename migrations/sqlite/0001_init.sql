-- Attempts carry everything needed to render and grade them: the drawn questions are stored
-- whole, so a later edit of the lesson never changes an attempt that is under way.
CREATE TABLE attempts (
    token         TEXT PRIMARY KEY,
    lesson_id     TEXT NOT NULL,
    lesson_hash   TEXT NOT NULL,
    lesson_title  TEXT NOT NULL,
    pass_percent  REAL NOT NULL,
    session_id    TEXT NOT NULL,
    seed          INTEGER NOT NULL,
    questions     TEXT NOT NULL,           -- JSON: [DrawnQuestion]
    started_ms    INTEGER NOT NULL,
    deadline_ms   INTEGER,
    submitted_ms  INTEGER,
    responses     TEXT,                    -- JSON: [Response]
    points        TEXT,                    -- JSON: [f64], per question
    earned        REAL,
    possible      REAL NOT NULL,
    late          INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX attempts_by_session ON attempts (session_id, lesson_id);
CREATE INDEX attempts_by_lesson ON attempts (lesson_id, submitted_ms);

-- Server-wide secrets (the key CSRF tokens are derived from), so they survive a restart.
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
