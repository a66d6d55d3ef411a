-- The PostgreSQL schema: the same data as migrations/sqlite, for several lectern instances
-- sharing one database. Applied by PostgresStore::connect inside one transaction, under an
-- advisory lock, so instances starting at once do not race.

-- Attempts carry everything needed to render and grade them: the drawn questions are stored
-- whole, so a later edit of the lesson never changes an attempt that is under way. Tokens and
-- ids are hex or ASCII, so the "C" collation orders them bytewise, like SQLite.
CREATE TABLE attempts (
    token         TEXT COLLATE "C" PRIMARY KEY,
    lesson_id     TEXT COLLATE "C" NOT NULL,
    lesson_hash   TEXT NOT NULL,
    lesson_title  TEXT NOT NULL,
    pass_percent  DOUBLE PRECISION NOT NULL,
    session_id    TEXT COLLATE "C" NOT NULL,
    seed          BIGINT NOT NULL,            -- the u64 seed, bit for bit
    questions     TEXT NOT NULL,              -- JSON: [DrawnQuestion]
    started_ms    BIGINT NOT NULL,
    deadline_ms   BIGINT,
    submitted_ms  BIGINT,                     -- NULL until graded; set once
    responses     TEXT,                       -- JSON: [Response]
    points        TEXT,                       -- JSON: [f64], per question
    earned        DOUBLE PRECISION,
    possible      DOUBLE PRECISION NOT NULL,
    late          BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX attempts_by_session ON attempts (session_id, lesson_id);
CREATE INDEX attempts_by_lesson ON attempts (lesson_id, started_ms, token);

-- How many attempts each session has started on each lesson. create_attempt bumps the row
-- with a conditional upsert in the same transaction as the attempt's INSERT: the row lock
-- serialises starts of one (session, lesson) across every instance, so `max_attempts` holds.
CREATE TABLE attempt_counts (
    session_id  TEXT COLLATE "C" NOT NULL,
    lesson_id   TEXT COLLATE "C" NOT NULL,
    started     INTEGER NOT NULL,
    PRIMARY KEY (session_id, lesson_id)
);

-- Server-wide secrets (the key CSRF tokens are derived from), shared by every instance.
CREATE TABLE settings (
    name   TEXT PRIMARY KEY,
    value  BYTEA NOT NULL
);
