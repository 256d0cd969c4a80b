//! Applications: each belongs to one gallery and holds the API key that scopes a request to it.

use rusqlite::{OptionalExtension, Transaction, params};

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct Application {
    pub id: ApplicationId,
    pub gallery_id: GalleryId,
    pub name: String,
    pub description: String,
    /// The application's API key, a secret: its `Debug` is redacted.
    pub api_key: ApiKey,
    pub face_minimum_quality_score: f64,
}

pub(super) fn application_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Application> {
    Ok(Application {
        id: read_id(r, 0)?,
        gallery_id: read_id(r, 1)?,
        name: r.get(2)?,
        description: r.get(3)?,
        api_key: read_id(r, 4)?,
        face_minimum_quality_score: r.get(5)?,
    })
}

pub(super) const APPLICATION_COLUMNS: &str =
    "a.id, a.gallery_id, a.name, a.description, a.api_key, a.face_minimum_quality_score";

impl SqliteStore {
    pub fn list_applications(&self, tenant_id: &TenantId) -> Result<Vec<Application>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {APPLICATION_COLUMNS} FROM applications a JOIN galleries g ON g.id = a.gallery_id \
             WHERE g.tenant_id = ?1 ORDER BY a.created_at, a.rowid"
        ))?;
        let rows = stmt.query_map([tenant_id.as_str()], application_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn application(
        &self,
        tenant_id: &TenantId,
        application_id: &ApplicationId,
    ) -> Result<Application> {
        self.conn()
            .query_row(
                &format!(
                    "SELECT {APPLICATION_COLUMNS} FROM applications a JOIN galleries g ON g.id = a.gallery_id \
                     WHERE g.tenant_id = ?1 AND a.id = ?2"
                ),
                params![tenant_id.as_str(), application_id.as_str()],
                application_from_row,
            )
            .optional()?
            .ok_or(StoreError::NotFound("Application"))
    }

    /// The application an API key names, with its tenant.
    pub fn application_by_api_key(
        &self,
        api_key: &ApiKey,
    ) -> Result<Option<(TenantId, Application)>> {
        Ok(self
            .conn()
            .query_row(
                &format!(
                    "SELECT {APPLICATION_COLUMNS}, g.tenant_id FROM applications a \
                     JOIN galleries g ON g.id = a.gallery_id WHERE a.api_key = ?1"
                ),
                [api_key.expose()],
                |r| Ok((read_id(r, 6)?, application_from_row(r)?)),
            )
            .optional()?)
    }

    pub fn create_application(
        &self,
        tenant_id: &TenantId,
        gallery_id: &GalleryId,
        name: &str,
        description: &str,
        face_minimum_quality_score: f64,
    ) -> Result<Application> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let exists: bool = tx.query_row(
            "SELECT EXISTS(SELECT 1 FROM galleries WHERE tenant_id = ?1 AND id = ?2)",
            params![tenant_id.as_str(), gallery_id.as_str()],
            |r| r.get(0),
        )?;
        if !exists {
            return Err(StoreError::Invalid(
                "galleryId does not name a gallery of this tenant.".into(),
            ));
        }
        let app = insert_application(
            &tx,
            gallery_id,
            name,
            description,
            face_minimum_quality_score,
        )?;
        tx.commit()?;
        Ok(app)
    }

    pub fn update_application(
        &self,
        tenant_id: &TenantId,
        application_id: &ApplicationId,
        name: Option<&str>,
        description: Option<&str>,
        face_minimum_quality_score: Option<f64>,
    ) -> Result<Application> {
        // Check ownership first: the UPDATE below has no join.
        self.application(tenant_id, application_id)?;
        self.conn().execute(
            "UPDATE applications SET name = COALESCE(?2, name), description = COALESCE(?3, description), \
             face_minimum_quality_score = COALESCE(?4, face_minimum_quality_score) WHERE id = ?1",
            params![application_id.as_str(), name, description, face_minimum_quality_score],
        )?;
        self.application(tenant_id, application_id)
    }

    pub fn delete_application(
        &self,
        tenant_id: &TenantId,
        application_id: &ApplicationId,
    ) -> Result<()> {
        self.application(tenant_id, application_id)?;
        self.conn().execute(
            "DELETE FROM applications WHERE id = ?1",
            [application_id.as_str()],
        )?;
        Ok(())
    }
}

pub(super) fn insert_application(
    tx: &Transaction<'_>,
    gallery_id: &GalleryId,
    name: &str,
    description: &str,
    face_minimum_quality_score: f64,
) -> Result<Application> {
    let app = Application {
        id: fresh_id(),
        gallery_id: gallery_id.clone(),
        name: name.to_owned(),
        description: description.to_owned(),
        api_key: ApiKey::new(random_token(40)),
        face_minimum_quality_score,
    };
    tx.execute(
        "INSERT INTO applications (id, gallery_id, name, description, api_key, face_minimum_quality_score, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![app.id.as_str(), app.gallery_id.as_str(), app.name, app.description, app.api_key.expose(), app.face_minimum_quality_score, now_timestamp()],
    )?;
    Ok(app)
}
