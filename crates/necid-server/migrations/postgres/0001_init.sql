-- 0001: the whole model on PostgreSQL, the same as SQLite's after its migration 0002, plus what
-- several replicas of the service need:
-- * the tenant's secret key (replicas share one tenant, so its keys live with its data);
-- * a change feed per gallery (`changes`, numbered by `galleries.feed_seq`), which every replica
--   follows to keep its in-memory index exact; triggers write it, so no write can miss it;
-- * leases on bulk records, so that replicas share a job's work and a dead replica's records
--   return to the queue;
-- * `subjects.bulk_record_seq`, unique: a bulk record can never be enrolled twice.
-- Times are RFC 3339 UTC strings as in SQLite (they sort as text); `ord` columns keep creation
-- order where SQLite used its rowid.

CREATE TABLE tenants (
    id                TEXT PRIMARY KEY,
    access_key_id     TEXT NOT NULL UNIQUE,
    secret_access_key TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    ord               BIGSERIAL
);

CREATE TABLE galleries (
    id                         TEXT PRIMARY KEY,
    tenant_id                  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name                       TEXT NOT NULL,
    description                TEXT NOT NULL DEFAULT '',
    size                       BIGINT NOT NULL CHECK (size > 0),
    face_minimum_quality_score DOUBLE PRECISION NOT NULL,
    created_at                 TEXT NOT NULL,
    ord                        BIGSERIAL,
    event_rows                 BIGINT NOT NULL DEFAULT 0,
    active_events              BIGINT NOT NULL DEFAULT 0,
    -- The number of the gallery's last change. A write takes the gallery's row lock to bump
    -- it, so the changes of a gallery become visible in the order of their numbers.
    feed_seq                   BIGINT NOT NULL DEFAULT 0,
    UNIQUE (tenant_id, name)
);

CREATE TABLE applications (
    id                         TEXT PRIMARY KEY,
    gallery_id                 TEXT NOT NULL REFERENCES galleries(id) ON DELETE CASCADE,
    name                       TEXT NOT NULL,
    description                TEXT NOT NULL DEFAULT '',
    api_key                    TEXT NOT NULL UNIQUE,
    face_minimum_quality_score DOUBLE PRECISION NOT NULL,
    created_at                 TEXT NOT NULL,
    ord                        BIGSERIAL
);
CREATE INDEX applications_gallery ON applications(gallery_id);

-- Ids from a sequence are never reused.
CREATE TABLE tags (
    id         BIGSERIAL PRIMARY KEY,
    gallery_id TEXT NOT NULL REFERENCES galleries(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    bit        INTEGER NOT NULL CHECK (bit BETWEEN 0 AND 63),
    UNIQUE (gallery_id, name),
    UNIQUE (gallery_id, bit)
);

CREATE TABLE subjects (
    id              TEXT PRIMARY KEY,
    gallery_id      TEXT NOT NULL REFERENCES galleries(id) ON DELETE CASCADE,
    created_at      TEXT NOT NULL,
    -- The bulk record this subject was enrolled from: at most one subject per record.
    bulk_record_seq BIGINT UNIQUE
);
CREATE INDEX subjects_gallery ON subjects(gallery_id);

CREATE TABLE events (
    row_id       BIGSERIAL PRIMARY KEY,
    gallery_id   TEXT NOT NULL REFERENCES galleries(id) ON DELETE CASCADE,
    subject_id   TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('ACTIVE', 'DELETED')),
    slot         BIGINT NOT NULL,
    position     BIGINT NOT NULL,
    last_updated TEXT NOT NULL,
    descriptor   BYTEA,           -- 128 little-endian f32, only while ACTIVE
    attributes   TEXT NOT NULL,
    UNIQUE (gallery_id, slot)
);
CREATE UNIQUE INDEX events_active ON events(gallery_id, event_id) WHERE status = 'ACTIVE';
CREATE INDEX events_subject ON events(gallery_id, subject_id, position);
CREATE INDEX events_listing ON events(gallery_id, last_updated, row_id);
CREATE INDEX events_recyclable ON events(gallery_id, last_updated, row_id) WHERE status = 'DELETED';
CREATE INDEX events_loading ON events(gallery_id, row_id) WHERE status = 'ACTIVE';

CREATE TABLE event_tags (
    event_row BIGINT NOT NULL REFERENCES events(row_id) ON DELETE CASCADE,
    tag_id    BIGINT NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    PRIMARY KEY (event_row, tag_id)
);
CREATE INDEX event_tags_tag ON event_tags(tag_id);

-- The change feed: 'U' a row became active, 'R' a row left the active set, 'T' a tag's bit
-- left every row (`bit`). A follower reads the descriptor and tags of a 'U' row from `events`.
CREATE TABLE changes (
    gallery_id TEXT NOT NULL REFERENCES galleries(id) ON DELETE CASCADE,
    seq        BIGINT NOT NULL,
    kind       CHAR(1) NOT NULL CHECK (kind IN ('U', 'R', 'T')),
    row_id     BIGINT,
    bit        INTEGER,
    PRIMARY KEY (gallery_id, seq)
);

-- Appends one change to a gallery's feed; the caller holds (or here takes) the gallery's row
-- lock through the UPDATE, so numbers are handed out in commit order. Replicas are woken at
-- commit through NOTIFY (one notification per gallery and transaction).
CREATE FUNCTION necid_feed_append(p_gallery TEXT, p_kind CHAR(1), p_row BIGINT, p_bit INTEGER)
RETURNS BIGINT LANGUAGE plpgsql AS $$
DECLARE
    v_seq BIGINT;
BEGIN
    UPDATE galleries SET feed_seq = feed_seq + 1 WHERE id = p_gallery RETURNING feed_seq INTO v_seq;
    IF v_seq IS NULL THEN
        RETURN NULL; -- the gallery is being deleted with everything in it
    END IF;
    INSERT INTO changes (gallery_id, seq, kind, row_id, bit) VALUES (p_gallery, v_seq, p_kind, p_row, p_bit);
    PERFORM pg_notify('necid_changes', p_gallery);
    RETURN v_seq;
END $$;

-- Counts and the feed follow every change of `events`, whichever statement makes it.
CREATE FUNCTION necid_events_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE galleries SET event_rows = event_rows + 1,
                             active_events = active_events + (NEW.status = 'ACTIVE')::int
        WHERE id = NEW.gallery_id;
        IF NEW.status = 'ACTIVE' THEN
            PERFORM necid_feed_append(NEW.gallery_id, 'U', NEW.row_id, NULL);
        END IF;
        RETURN NEW;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE galleries SET event_rows = event_rows - 1,
                             active_events = active_events - (OLD.status = 'ACTIVE')::int
        WHERE id = OLD.gallery_id;
        IF OLD.status = 'ACTIVE' THEN
            PERFORM necid_feed_append(OLD.gallery_id, 'R', OLD.row_id, NULL);
        END IF;
        RETURN OLD;
    ELSE
        IF OLD.status IS DISTINCT FROM NEW.status THEN
            UPDATE galleries SET active_events = active_events - (OLD.status = 'ACTIVE')::int
                                                             + (NEW.status = 'ACTIVE')::int
            WHERE id = NEW.gallery_id;
            PERFORM necid_feed_append(NEW.gallery_id,
                                      CASE WHEN NEW.status = 'ACTIVE' THEN 'U' ELSE 'R' END,
                                      NEW.row_id, NULL);
        END IF;
        RETURN NEW;
    END IF;
END $$;

CREATE TRIGGER events_changed AFTER INSERT OR DELETE OR UPDATE OF status ON events
    FOR EACH ROW EXECUTE FUNCTION necid_events_changed();

CREATE TABLE bulk_jobs (
    batch_id       TEXT PRIMARY KEY,
    gallery_id     TEXT NOT NULL REFERENCES galleries(id) ON DELETE CASCADE,
    application_id TEXT REFERENCES applications(id) ON DELETE SET NULL,
    created_at     TEXT NOT NULL
);

CREATE TABLE bulk_records (
    seq             BIGSERIAL PRIMARY KEY,
    batch_id        TEXT NOT NULL REFERENCES bulk_jobs(batch_id) ON DELETE CASCADE,
    id              TEXT NOT NULL UNIQUE,
    filename        TEXT NOT NULL,
    tags            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('New', 'Processed')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    register_status TEXT NOT NULL DEFAULT '',
    reason          TEXT NOT NULL DEFAULT '',
    subject_id      TEXT NOT NULL DEFAULT '',
    event_id        TEXT NOT NULL DEFAULT '',
    attributes_json TEXT NOT NULL DEFAULT '',
    -- A replica working on the record holds it until then; after it, any replica may take it.
    lease_until     TIMESTAMPTZ,
    leased_by       TEXT
);
CREATE INDEX bulk_records_batch ON bulk_records(batch_id, seq);
CREATE INDEX bulk_records_new ON bulk_records(seq) WHERE status = 'New';
CREATE UNIQUE INDEX bulk_records_enrolled ON bulk_records(event_id) WHERE event_id <> '';
