-- 0002: integrity kept by the database itself.
-- * Ids are never reused: tags and event rows get AUTOINCREMENT, so a deleted tag's id (or a
--   recycled event row's id) can never be handed to a new one.
-- * Every reference is a foreign key with an ON DELETE rule: a tag's event links go with the tag.
-- * An event's place in its subject ("the first event" of Update Subject, the order of List
--   Events) is the explicit column `position`, which a replacement row inherits.
-- * Each gallery counts its event rows and active events, kept by triggers, so an enrolment
--   never counts the gallery's rows (which made filling a gallery O(n²)).
-- The store runs this with foreign keys off (SQLite's procedure for rebuilding a table) and checks
-- them before it commits.

CREATE TABLE tags_v2 (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    gallery_id TEXT NOT NULL REFERENCES galleries(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    bit        INTEGER NOT NULL CHECK (bit BETWEEN 0 AND 63),
    UNIQUE (gallery_id, name),
    UNIQUE (gallery_id, bit)
);
INSERT INTO tags_v2 (id, gallery_id, name, bit) SELECT id, gallery_id, name, bit FROM tags;

CREATE TABLE events_v2 (
    rowid        INTEGER PRIMARY KEY AUTOINCREMENT,
    gallery_id   TEXT NOT NULL REFERENCES galleries(id) ON DELETE CASCADE,
    subject_id   TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('ACTIVE', 'DELETED')),
    slot         INTEGER NOT NULL,
    position     INTEGER NOT NULL,
    last_updated TEXT NOT NULL,
    descriptor   BLOB,
    attributes   TEXT NOT NULL,
    UNIQUE (gallery_id, slot)
);
-- An updated event's rows share its event id; its oldest row (kept while DELETED) holds its
-- original place among the subject's events.
INSERT INTO events_v2 (rowid, gallery_id, subject_id, event_id, status, slot, position, last_updated, descriptor, attributes)
SELECT e.rowid, e.gallery_id, e.subject_id, e.event_id, e.status, e.slot,
       (SELECT MIN(o.rowid) FROM events o WHERE o.gallery_id = e.gallery_id AND o.event_id = e.event_id),
       e.last_updated, e.descriptor, e.attributes
FROM events e;

CREATE TABLE event_tags_v2 (
    event_rowid INTEGER NOT NULL REFERENCES events(rowid) ON DELETE CASCADE,
    tag_id      INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    PRIMARY KEY (event_rowid, tag_id)
);
INSERT INTO event_tags_v2 (event_rowid, tag_id)
SELECT et.event_rowid, et.tag_id FROM event_tags et
WHERE et.tag_id IN (SELECT id FROM tags_v2) AND et.event_rowid IN (SELECT rowid FROM events_v2);

DROP TABLE event_tags;
DROP TABLE events;
DROP TABLE tags;
ALTER TABLE tags_v2 RENAME TO tags;
ALTER TABLE events_v2 RENAME TO events;
ALTER TABLE event_tags_v2 RENAME TO event_tags;

CREATE UNIQUE INDEX events_active ON events(gallery_id, event_id) WHERE status = 'ACTIVE';
CREATE INDEX events_subject ON events(gallery_id, subject_id, position);
CREATE INDEX events_listing ON events(gallery_id, last_updated, rowid);
CREATE INDEX events_recyclable ON events(gallery_id, last_updated, rowid) WHERE status = 'DELETED';
CREATE INDEX event_tags_tag ON event_tags(tag_id);

ALTER TABLE galleries ADD COLUMN event_rows INTEGER NOT NULL DEFAULT 0;
ALTER TABLE galleries ADD COLUMN active_events INTEGER NOT NULL DEFAULT 0;
UPDATE galleries SET
    event_rows = (SELECT COUNT(*) FROM events e WHERE e.gallery_id = galleries.id),
    active_events = (SELECT COUNT(*) FROM events e WHERE e.gallery_id = galleries.id AND e.status = 'ACTIVE');

CREATE TRIGGER events_counted_in AFTER INSERT ON events BEGIN
    UPDATE galleries SET event_rows = event_rows + 1,
                         active_events = active_events + (NEW.status = 'ACTIVE')
    WHERE id = NEW.gallery_id;
END;
CREATE TRIGGER events_counted_out AFTER DELETE ON events BEGIN
    UPDATE galleries SET event_rows = event_rows - 1,
                         active_events = active_events - (OLD.status = 'ACTIVE')
    WHERE id = OLD.gallery_id;
END;
CREATE TRIGGER events_status_counted AFTER UPDATE OF status ON events BEGIN
    UPDATE galleries SET active_events = active_events - (OLD.status = 'ACTIVE') + (NEW.status = 'ACTIVE')
    WHERE id = NEW.gallery_id;
END;

-- A bulk job's application is a real reference too (a job outlives its application, which only
-- chose the minimum quality), and a record is enrolled at most once.
CREATE TABLE bulk_jobs_v2 (
    batch_id       TEXT PRIMARY KEY,
    gallery_id     TEXT NOT NULL REFERENCES galleries(id) ON DELETE CASCADE,
    application_id TEXT REFERENCES applications(id) ON DELETE SET NULL,
    created_at     TEXT NOT NULL
);
INSERT INTO bulk_jobs_v2 (batch_id, gallery_id, application_id, created_at)
SELECT batch_id, gallery_id,
       CASE WHEN application_id IN (SELECT id FROM applications) THEN application_id END,
       created_at
FROM bulk_jobs;
DROP TABLE bulk_jobs;
ALTER TABLE bulk_jobs_v2 RENAME TO bulk_jobs;
CREATE UNIQUE INDEX bulk_records_enrolled ON bulk_records(event_id) WHERE event_id <> '';
