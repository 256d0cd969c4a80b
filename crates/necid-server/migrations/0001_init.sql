-- 0001: the whole model of the service.
-- Ids are the API's string ids. Times are RFC 3339 UTC strings with milliseconds, which sort
-- correctly as text. Every gallery-owned table cascades from galleries, so deleting a gallery
-- deletes everything enrolled in it (NOTES.md item 10).

CREATE TABLE tenants (
    id            TEXT PRIMARY KEY,
    access_key_id TEXT NOT NULL UNIQUE,
    created_at    TEXT NOT NULL
    -- the secret lives in DATA_DIR/credentials.json (mode 0600), never in the database
);

CREATE TABLE galleries (
    id                         TEXT PRIMARY KEY,
    tenant_id                  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name                       TEXT NOT NULL,
    description                TEXT NOT NULL DEFAULT '',
    size                       INTEGER NOT NULL CHECK (size > 0),
    face_minimum_quality_score REAL NOT NULL,
    created_at                 TEXT NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE applications (
    id                         TEXT PRIMARY KEY,
    gallery_id                 TEXT NOT NULL REFERENCES galleries(id) ON DELETE CASCADE,
    name                       TEXT NOT NULL,
    description                TEXT NOT NULL DEFAULT '',
    api_key                    TEXT NOT NULL UNIQUE,
    face_minimum_quality_score REAL NOT NULL,
    created_at                 TEXT NOT NULL
);
CREATE INDEX applications_gallery ON applications(gallery_id);

-- A tag has a stable id; events refer to the id, so a rename follows them and a deleted tag
-- (whose id is never reused) simply stops matching. `bit` is its position in the in-memory
-- 64-bit tag mask of the gallery (at most 64 live tags per gallery).
CREATE TABLE tags (
    id         INTEGER PRIMARY KEY,
    gallery_id TEXT NOT NULL REFERENCES galleries(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    bit        INTEGER NOT NULL CHECK (bit BETWEEN 0 AND 63),
    UNIQUE (gallery_id, name),
    UNIQUE (gallery_id, bit)
);

CREATE TABLE subjects (
    id         TEXT PRIMARY KEY,
    gallery_id TEXT NOT NULL REFERENCES galleries(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL
);
CREATE INDEX subjects_gallery ON subjects(gallery_id);

-- One row per enrolled template (a slot). An event id may appear twice: an updated event keeps
-- its id, the replaced row stays as DELETED beside the new ACTIVE one (NOTES.md item 3). A
-- DELETED row holds its slot until the slot is recycled. subject_id is deliberately not a
-- foreign key: DELETED rows outlive their subject.
CREATE TABLE events (
    rowid        INTEGER PRIMARY KEY,
    gallery_id   TEXT NOT NULL REFERENCES galleries(id) ON DELETE CASCADE,
    subject_id   TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('ACTIVE', 'DELETED')),
    slot         INTEGER NOT NULL,
    last_updated TEXT NOT NULL,
    descriptor   BLOB,            -- 128 little-endian f32, only while ACTIVE
    attributes   TEXT NOT NULL,   -- the face attributes as the API's JSON object
    UNIQUE (gallery_id, slot)
);
CREATE UNIQUE INDEX events_active ON events(gallery_id, event_id) WHERE status = 'ACTIVE';
CREATE INDEX events_subject ON events(subject_id);
CREATE INDEX events_listing ON events(gallery_id, last_updated, rowid);

CREATE TABLE event_tags (
    event_rowid INTEGER NOT NULL REFERENCES events(rowid) ON DELETE CASCADE,
    tag_id      INTEGER NOT NULL,
    PRIMARY KEY (event_rowid, tag_id)
);

CREATE TABLE bulk_jobs (
    batch_id       TEXT PRIMARY KEY,
    gallery_id     TEXT NOT NULL REFERENCES galleries(id) ON DELETE CASCADE,
    application_id TEXT NOT NULL,
    created_at     TEXT NOT NULL
);

-- seq orders the records of a job and is the paging key (lastEvaluatedKey).
CREATE TABLE bulk_records (
    seq             INTEGER PRIMARY KEY,
    batch_id        TEXT NOT NULL REFERENCES bulk_jobs(batch_id) ON DELETE CASCADE,
    id              TEXT NOT NULL UNIQUE,
    filename        TEXT NOT NULL,
    tags            TEXT NOT NULL,  -- JSON array of tag names as requested
    status          TEXT NOT NULL CHECK (status IN ('New', 'Processed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    register_status TEXT NOT NULL DEFAULT '',
    reason          TEXT NOT NULL DEFAULT '',
    subject_id      TEXT NOT NULL DEFAULT '',
    event_id        TEXT NOT NULL DEFAULT '',
    attributes_json TEXT NOT NULL DEFAULT ''
);
CREATE INDEX bulk_records_batch ON bulk_records(batch_id, seq);
CREATE INDEX bulk_records_new ON bulk_records(status) WHERE status = 'New';
