-- LTI 1.3: registered platforms, the tool's keys, logins in flight, LMS users and courses
-- mapped to accounts and classes, and the outbox of grades owed to platforms.

-- The tool's RSA key pairs. The newest unretired key signs; a retired key stays published in
-- the JWKS until retired_ms plus the grace period, so tokens it signed still verify.
CREATE TABLE lti_keys (
    kid          TEXT PRIMARY KEY,
    private_pem  TEXT NOT NULL,     -- PKCS#8 PEM
    public_n     TEXT NOT NULL,     -- base64url modulus, as the JWK's "n"
    public_e     TEXT NOT NULL,     -- base64url exponent, as the JWK's "e"
    created_ms   INTEGER NOT NULL,
    retired_ms   INTEGER
);

-- A platform registration: one issuer may register the tool more than once (client ids).
CREATE TABLE lti_platforms (
    id          INTEGER PRIMARY KEY,
    issuer      TEXT NOT NULL,
    client_id   TEXT NOT NULL,
    auth_url    TEXT NOT NULL,
    token_url   TEXT NOT NULL,
    jwks_url    TEXT NOT NULL,
    -- The audience of the tool's client assertion when it is not the token URL (Brightspace
    -- names its own "OAuth 2 Audience").
    token_audience  TEXT,
    created_ms  INTEGER NOT NULL,
    UNIQUE (issuer, client_id)
);

CREATE TABLE lti_deployments (
    platform_id    INTEGER NOT NULL REFERENCES lti_platforms (id) ON DELETE CASCADE,
    deployment_id  TEXT NOT NULL,
    PRIMARY KEY (platform_id, deployment_id)
);

-- OIDC logins in flight: the SHA-256 of the state, its nonce, usable once until expires_ms.
-- params keeps the login request (JSON) so a launch whose cookie the browser blocked can
-- start again in a new tab.
CREATE TABLE lti_logins (
    state_hash   TEXT PRIMARY KEY,
    nonce        TEXT NOT NULL,
    platform_id  INTEGER NOT NULL REFERENCES lti_platforms (id) ON DELETE CASCADE,
    params       TEXT NOT NULL,
    expires_ms   INTEGER NOT NULL
);

-- An LMS user (issuer + sub, through the platform) is a lectern account.
CREATE TABLE lti_users (
    platform_id  INTEGER NOT NULL REFERENCES lti_platforms (id) ON DELETE CASCADE,
    subject      TEXT NOT NULL,
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    PRIMARY KEY (platform_id, subject)
);

-- An LMS course (context) is a lectern class.
CREATE TABLE lti_contexts (
    platform_id  INTEGER NOT NULL REFERENCES lti_platforms (id) ON DELETE CASCADE,
    context_id   TEXT NOT NULL,
    class_id     INTEGER NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    PRIMARY KEY (platform_id, context_id)
);

-- Teachers of a class besides its owner: the other instructors of an LMS course.
CREATE TABLE class_teachers (
    class_id    INTEGER NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    PRIMARY KEY (class_id, account_id)
);
CREATE INDEX class_teachers_by_account ON class_teachers (account_id);

-- Where a learner's grade on a lesson goes: the line item of each link they launched it from.
CREATE TABLE lti_grade_targets (
    account_id    INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    lesson_id     TEXT NOT NULL,
    platform_id   INTEGER NOT NULL REFERENCES lti_platforms (id) ON DELETE CASCADE,
    lineitem_url  TEXT NOT NULL,
    subject       TEXT NOT NULL,
    PRIMARY KEY (account_id, lesson_id, lineitem_url)
);

-- Grades owed: one row per line item and user. A submission marks it pending in the same
-- transaction that stores the attempt (and bumps version); the sender computes the grade
-- when it sends, so what arrives is always the latest, and clears pending only if version
-- has not moved meanwhile.
CREATE TABLE lti_outbox (
    lineitem_url  TEXT NOT NULL,
    subject       TEXT NOT NULL,
    platform_id   INTEGER NOT NULL REFERENCES lti_platforms (id) ON DELETE CASCADE,
    account_id    INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    lesson_id     TEXT NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1,
    pending       INTEGER NOT NULL DEFAULT 1,
    failed        INTEGER NOT NULL DEFAULT 0,  -- the platform refused it for good (not retried)
    tries         INTEGER NOT NULL DEFAULT 0,
    next_try_ms   INTEGER NOT NULL,
    last_error    TEXT,
    sent_score    REAL,
    sent_ms       INTEGER,
    PRIMARY KEY (lineitem_url, subject)
);
CREATE INDEX lti_outbox_due ON lti_outbox (next_try_ms) WHERE pending = 1;
CREATE INDEX lti_outbox_by_account ON lti_outbox (account_id);
