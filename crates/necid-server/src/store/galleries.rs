//! Galleries: a name, a size in slots and a minimum face quality, with their counts of rows and
//! active events kept by triggers.

use rusqlite::{OptionalExtension, params};

use super::applications::{APPLICATION_COLUMNS, application_from_row, insert_application};
use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct Gallery {
    pub id: GalleryId,
    pub name: String,
    pub description: String,
    pub size: i64,
    pub count: i64,
    pub face_minimum_quality_score: f64,
}

fn gallery_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Gallery> {
    Ok(Gallery {
        id: read_id(r, 0)?,
        name: r.get(1)?,
        description: r.get(2)?,
        size: r.get(3)?,
        count: r.get(4)?,
        face_minimum_quality_score: r.get(5)?,
    })
}

const GALLERY_COLUMNS: &str =
    "g.id, g.name, g.description, g.size, g.active_events, g.face_minimum_quality_score";

impl SqliteStore {
    /// Creates a gallery and its first application (named after the gallery).
    pub fn create_gallery(
        &self,
        tenant_id: &TenantId,
        name: &str,
        description: &str,
        size: i64,
        face_minimum_quality_score: f64,
    ) -> Result<(Gallery, Application)> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let exists: bool = tx.query_row(
            "SELECT EXISTS(SELECT 1 FROM galleries WHERE tenant_id = ?1 AND name = ?2)",
            params![tenant_id.as_str(), name],
            |r| r.get(0),
        )?;
        if exists {
            // NOTES.md item 10 has the existing gallery's API key as the message; a key is never
            // put in a message here (docs/api.md): List Applications shows it to its owner.
            return Err(StoreError::Duplicate(format!(
                "A gallery named {} already exists; its applications and API keys are listed by GET /api/applications.",
                quote_for_message(name)
            )));
        }
        let gallery_id: GalleryId = fresh_id();
        let now = now_timestamp();
        tx.execute(
            "INSERT INTO galleries (id, tenant_id, name, description, size, face_minimum_quality_score, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![gallery_id.as_str(), tenant_id.as_str(), name, description, size, face_minimum_quality_score, now],
        )?;
        let app = insert_application(
            &tx,
            &gallery_id,
            name,
            description,
            face_minimum_quality_score,
        )?;
        tx.commit()?;
        Ok((
            Gallery {
                id: gallery_id,
                name: name.to_owned(),
                description: description.to_owned(),
                size,
                count: 0,
                face_minimum_quality_score,
            },
            app,
        ))
    }

    pub fn list_galleries(&self, tenant_id: &TenantId) -> Result<Vec<Gallery>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {GALLERY_COLUMNS} FROM galleries g WHERE g.tenant_id = ?1 ORDER BY g.created_at, g.rowid"
        ))?;
        let rows = stmt.query_map([tenant_id.as_str()], gallery_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn gallery(&self, tenant_id: &TenantId, gallery_id: &GalleryId) -> Result<Gallery> {
        self.conn()
            .query_row(
                &format!(
                    "SELECT {GALLERY_COLUMNS} FROM galleries g WHERE g.tenant_id = ?1 AND g.id = ?2"
                ),
                params![tenant_id.as_str(), gallery_id.as_str()],
                gallery_from_row,
            )
            .optional()?
            .ok_or(StoreError::NotFound("Gallery"))
    }

    /// All gallery ids, for loading the search indexes at start.
    pub fn all_gallery_ids(&self) -> Result<Vec<GalleryId>> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT id FROM galleries")?;
        let rows = stmt.query_map([], |r| read_id(r, 0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn applications_of_gallery(&self, gallery_id: &GalleryId) -> Result<Vec<Application>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {APPLICATION_COLUMNS} FROM applications a WHERE a.gallery_id = ?1 ORDER BY a.created_at, a.rowid"
        ))?;
        let rows = stmt.query_map([gallery_id.as_str()], application_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Updates name, description and size; size may only grow.
    pub fn update_gallery(
        &self,
        tenant_id: &TenantId,
        gallery_id: &GalleryId,
        name: Option<&str>,
        description: Option<&str>,
        size: Option<i64>,
    ) -> Result<Gallery> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let (old_name, old_size): (String, i64) = tx
            .query_row(
                "SELECT name, size FROM galleries WHERE tenant_id = ?1 AND id = ?2",
                params![tenant_id.as_str(), gallery_id.as_str()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .ok_or(StoreError::NotFound("Gallery"))?;
        if let Some(size) = size
            && size < old_size
        {
            return Err(StoreError::Invalid(format!(
                "size may only be increased (currently {old_size})."
            )));
        }
        if let Some(name) = name
            && name != old_name
        {
            let taken: bool = tx.query_row(
                "SELECT EXISTS(SELECT 1 FROM galleries WHERE tenant_id = ?1 AND name = ?2)",
                params![tenant_id.as_str(), name],
                |r| r.get(0),
            )?;
            if taken {
                return Err(StoreError::Duplicate(
                    "A gallery with this name already exists.".into(),
                ));
            }
        }
        tx.execute(
            "UPDATE galleries SET name = COALESCE(?3, name), description = COALESCE(?4, description), \
             size = COALESCE(?5, size) WHERE tenant_id = ?1 AND id = ?2",
            params![tenant_id.as_str(), gallery_id.as_str(), name, description, size],
        )?;
        tx.commit()?;
        drop(conn);
        self.gallery(tenant_id, gallery_id)
    }

    /// Deletes a gallery and everything enrolled in it; the caller drops its index.
    pub fn delete_gallery(
        &self,
        tenant_id: &TenantId,
        gallery_id: &GalleryId,
    ) -> Result<Committed<'_, ()>> {
        let conn = self.conn();
        let n = conn.execute(
            "DELETE FROM galleries WHERE tenant_id = ?1 AND id = ?2",
            params![tenant_id.as_str(), gallery_id.as_str()],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound("Gallery"));
        }
        Ok(committed(conn, ()))
    }
}
