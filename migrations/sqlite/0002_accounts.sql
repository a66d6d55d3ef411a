-- Accounts, classes and learners. Anonymous practice keeps working as before: an attempt with
-- no learner_id belongs to the browser session that started it.

-- Students and educators. Usernames are stored lowercase; password_hash is an argon2id PHC
-- string, NULL until the account's owner sets one (an educator added from the command line).
CREATE TABLE accounts (
    id                  INTEGER PRIMARY KEY,
    username            TEXT NOT NULL UNIQUE,
    display_name        TEXT NOT NULL,
    role                TEXT NOT NULL CHECK (role IN ('student', 'educator')),
    password_hash       TEXT,
    created_ms          INTEGER NOT NULL,
    last_sign_in_ms     INTEGER,
    failed_sign_ins     INTEGER NOT NULL DEFAULT 0,  -- wrong passwords in a row
    throttled_until_ms  INTEGER NOT NULL DEFAULT 0
);

-- Signed-in browser sessions: the SHA-256 of the session cookie's id, never the id itself.
CREATE TABLE account_sessions (
    session_hash  TEXT PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_ms    INTEGER NOT NULL,
    expires_ms    INTEGER NOT NULL
);
CREATE INDEX account_sessions_by_account ON account_sessions (account_id);

-- One-time links to set a password (a new educator, a reset): the SHA-256 of the link's token.
CREATE TABLE password_links (
    token_hash  TEXT PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    expires_ms  INTEGER NOT NULL,
    used_ms     INTEGER
);

-- Classes; owner_id NULL means made by the administrator (the educator token). A NULL join
-- code means joining is closed.
CREATE TABLE classes (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    owner_id    INTEGER REFERENCES accounts (id),
    join_code   TEXT UNIQUE,
    created_ms  INTEGER NOT NULL
);
CREATE INDEX classes_by_owner ON classes (owner_id);

-- Lessons assigned to a class, in the educator's order, each with an optional due date.
CREATE TABLE class_lessons (
    class_id   INTEGER NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    lesson_id  TEXT NOT NULL,
    position   INTEGER NOT NULL,
    due_ms     INTEGER,
    PRIMARY KEY (class_id, lesson_id)
);

CREATE TABLE memberships (
    class_id    INTEGER NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    joined_ms   INTEGER NOT NULL,
    PRIMARY KEY (class_id, account_id)
);
CREATE INDEX memberships_by_account ON memberships (account_id);

-- An attempt belongs to a learner once one is signed in (or signs in later from the browser
-- that made it). A practice attempt (a retry of missed questions) never counts toward a grade.
ALTER TABLE attempts ADD COLUMN learner_id INTEGER REFERENCES accounts (id);
ALTER TABLE attempts ADD COLUMN practice INTEGER NOT NULL DEFAULT 0;
CREATE INDEX attempts_by_learner ON attempts (learner_id, lesson_id);
