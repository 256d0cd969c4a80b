//! Tenants, galleries and applications on PostgreSQL: the same rules and messages as the SQLite
//! files of the same names. A gallery's name is checked under its tenant's row lock, so two
//! replicas never create two galleries of one name.

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::{PgStore, exec, one, opt, read_id, rows};
use crate::error::quote_for_message;
use crate::store::{
    ApiKey, Application, ApplicationId, Committed, Gallery, GalleryId, Result, StoreError,
    TenantId, fresh_id, now_timestamp, random_token,
};

const GALLERY_COLUMNS: &str =
    "g.id, g.name, g.description, g.size, g.active_events, g.face_minimum_quality_score";
const APPLICATION_COLUMNS: &str =
    "a.id, a.gallery_id, a.name, a.description, a.api_key, a.face_minimum_quality_score";

fn gallery_from_row(r: &Row) -> Gallery {
    Gallery {
        id: read_id(r, 0),
        name: r.get(1),
        description: r.get(2),
        size: r.get(3),
        count: r.get(4),
        face_minimum_quality_score: r.get(5),
    }
}

fn application_from_row(r: &Row) -> Application {
    Application {
        id: read_id(r, 0),
        gallery_id: read_id(r, 1),
        name: r.get(2),
        description: r.get(3),
        api_key: read_id(r, 4),
        face_minimum_quality_score: r.get(5),
    }
}

/// Locks a gallery's row for the rest of the transaction; `NotFound` if it is gone.
pub(super) async fn lock_gallery<C: GenericClient>(
    c: &C,
    gallery_id: &GalleryId,
) -> Result<(i64, i64)> {
    let row = opt(
        c,
        "SELECT event_rows, size FROM galleries WHERE id = $1 FOR UPDATE",
        &[&gallery_id.as_str()],
    )
    .await?
    .ok_or(StoreError::NotFound("Gallery"))?;
    Ok((row.get(0), row.get(1)))
}

async fn insert_application<C: GenericClient>(
    c: &C,
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
    exec(
        c,
        "INSERT INTO applications (id, gallery_id, name, description, api_key, face_minimum_quality_score, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[&app.id.as_str(), &app.gallery_id.as_str(), &app.name, &app.description, &app.api_key.expose(), &app.face_minimum_quality_score, &now_timestamp()],
    )
    .await?;
    Ok(app)
}

impl PgStore {
    /// The tenant of an access key id. Its keys are made by [`PgStore::tenant_credentials`]:
    /// an unknown key is refused rather than given a tenant without a secret.
    pub fn ensure_tenant(&self, access_key_id: &str) -> Result<TenantId> {
        self.tenant_by_access_key(access_key_id)?.ok_or_else(|| {
            StoreError::Invalid("the database has no tenant with this access key id".into())
        })
    }

    /// Keys of a PostgreSQL tenant are kept in the database itself, so they are never lost
    /// apart from its data: nothing to re-key.
    pub fn rekey_sole_tenant(&self, _new_access_key_id: &str) -> Result<Option<TenantId>> {
        Err(StoreError::Invalid(
            "a tenant in PostgreSQL keeps its keys in the database; it is not re-keyed".into(),
        ))
    }

    pub fn tenant_by_access_key(&self, access_key_id: &str) -> Result<Option<TenantId>> {
        self.run(async {
            let c = self.client().await?;
            let row = opt(
                &c,
                "SELECT id FROM tenants WHERE access_key_id = $1",
                &[&access_key_id],
            )
            .await?;
            Ok(row.map(|r| read_id(&r, 0)))
        })
    }

    pub fn create_gallery(
        &self,
        tenant_id: &TenantId,
        name: &str,
        description: &str,
        size: i64,
        face_minimum_quality_score: f64,
    ) -> Result<(Gallery, Application)> {
        self.run(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            // The tenant's row lock makes the name check and the insert one step across replicas.
            exec(&tx, "SELECT 1 FROM tenants WHERE id = $1 FOR UPDATE", &[&tenant_id.as_str()]).await?;
            let exists: bool = one(
                &tx,
                "SELECT EXISTS(SELECT 1 FROM galleries WHERE tenant_id = $1 AND name = $2)",
                &[&tenant_id.as_str(), &name],
            )
            .await?
            .get(0);
            if exists {
                return Err(StoreError::Duplicate(format!(
                    "A gallery named {} already exists; its applications and API keys are listed by GET /api/applications.",
                    quote_for_message(name)
                )));
            }
            let gallery_id: GalleryId = fresh_id();
            exec(
                &tx,
                "INSERT INTO galleries (id, tenant_id, name, description, size, face_minimum_quality_score, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[&gallery_id.as_str(), &tenant_id.as_str(), &name, &description, &size, &face_minimum_quality_score, &now_timestamp()],
            )
            .await?;
            let app = insert_application(&tx, &gallery_id, name, description, face_minimum_quality_score).await?;
            tx.commit().await?;
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
        })
    }

    pub fn list_galleries(&self, tenant_id: &TenantId) -> Result<Vec<Gallery>> {
        self.run(async {
            let c = self.client().await?;
            let sql = format!("SELECT {GALLERY_COLUMNS} FROM galleries g WHERE g.tenant_id = $1 ORDER BY g.created_at, g.ord");
            Ok(rows(&c, &sql, &[&tenant_id.as_str()]).await?.iter().map(gallery_from_row).collect())
        })
    }

    pub fn gallery(&self, tenant_id: &TenantId, gallery_id: &GalleryId) -> Result<Gallery> {
        self.run(async {
            let c = self.client().await?;
            let sql = format!(
                "SELECT {GALLERY_COLUMNS} FROM galleries g WHERE g.tenant_id = $1 AND g.id = $2"
            );
            opt(&c, &sql, &[&tenant_id.as_str(), &gallery_id.as_str()])
                .await?
                .map(|r| gallery_from_row(&r))
                .ok_or(StoreError::NotFound("Gallery"))
        })
    }

    pub fn all_gallery_ids(&self) -> Result<Vec<GalleryId>> {
        self.run(async {
            let c = self.client().await?;
            Ok(rows(&c, "SELECT id FROM galleries ORDER BY ord", &[])
                .await?
                .iter()
                .map(|r| read_id(r, 0))
                .collect())
        })
    }

    pub fn applications_of_gallery(&self, gallery_id: &GalleryId) -> Result<Vec<Application>> {
        self.run(async {
            let c = self.client().await?;
            let sql = format!("SELECT {APPLICATION_COLUMNS} FROM applications a WHERE a.gallery_id = $1 ORDER BY a.created_at, a.ord");
            Ok(rows(&c, &sql, &[&gallery_id.as_str()]).await?.iter().map(application_from_row).collect())
        })
    }

    pub fn update_gallery(
        &self,
        tenant_id: &TenantId,
        gallery_id: &GalleryId,
        name: Option<&str>,
        description: Option<&str>,
        size: Option<i64>,
    ) -> Result<Gallery> {
        self.run(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            exec(&tx, "SELECT 1 FROM tenants WHERE id = $1 FOR UPDATE", &[&tenant_id.as_str()]).await?;
            let row = opt(
                &tx,
                "SELECT name, size FROM galleries WHERE tenant_id = $1 AND id = $2 FOR UPDATE",
                &[&tenant_id.as_str(), &gallery_id.as_str()],
            )
            .await?
            .ok_or(StoreError::NotFound("Gallery"))?;
            let (old_name, old_size): (String, i64) = (row.get(0), row.get(1));
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
                let taken: bool = one(
                    &tx,
                    "SELECT EXISTS(SELECT 1 FROM galleries WHERE tenant_id = $1 AND name = $2)",
                    &[&tenant_id.as_str(), &name],
                )
                .await?
                .get(0);
                if taken {
                    return Err(StoreError::Duplicate("A gallery with this name already exists.".into()));
                }
            }
            exec(
                &tx,
                "UPDATE galleries SET name = COALESCE($3, name), description = COALESCE($4, description), \
                 size = COALESCE($5, size) WHERE tenant_id = $1 AND id = $2",
                &[&tenant_id.as_str(), &gallery_id.as_str(), &name, &description, &size],
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })?;
        self.gallery(tenant_id, gallery_id)
    }

    pub fn delete_gallery(
        &self,
        tenant_id: &TenantId,
        gallery_id: &GalleryId,
    ) -> Result<Committed<'_, ()>> {
        self.run(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            let n = exec(
                &tx,
                "DELETE FROM galleries WHERE tenant_id = $1 AND id = $2",
                &[&tenant_id.as_str(), &gallery_id.as_str()],
            )
            .await?;
            if n == 0 {
                return Err(StoreError::NotFound("Gallery"));
            }
            // Its feed went with it: wake the other replicas to drop their index.
            exec(
                &tx,
                "SELECT pg_notify($1, $2)",
                &[&super::CHANGES_CHANNEL, &gallery_id.as_str()],
            )
            .await?;
            tx.commit().await?;
            Ok(Committed::unlocked(()))
        })
    }

    pub fn list_applications(&self, tenant_id: &TenantId) -> Result<Vec<Application>> {
        self.run(async {
            let c = self.client().await?;
            let sql = format!(
                "SELECT {APPLICATION_COLUMNS} FROM applications a JOIN galleries g ON g.id = a.gallery_id \
                 WHERE g.tenant_id = $1 ORDER BY a.created_at, a.ord"
            );
            Ok(rows(&c, &sql, &[&tenant_id.as_str()]).await?.iter().map(application_from_row).collect())
        })
    }

    pub fn application(
        &self,
        tenant_id: &TenantId,
        application_id: &ApplicationId,
    ) -> Result<Application> {
        self.run(async {
            let c = self.client().await?;
            let sql = format!(
                "SELECT {APPLICATION_COLUMNS} FROM applications a JOIN galleries g ON g.id = a.gallery_id \
                 WHERE g.tenant_id = $1 AND a.id = $2"
            );
            opt(&c, &sql, &[&tenant_id.as_str(), &application_id.as_str()])
                .await?
                .map(|r| application_from_row(&r))
                .ok_or(StoreError::NotFound("Application"))
        })
    }

    pub fn application_by_api_key(
        &self,
        api_key: &ApiKey,
    ) -> Result<Option<(TenantId, Application)>> {
        self.run(async {
            let c = self.client().await?;
            let sql = format!(
                "SELECT {APPLICATION_COLUMNS}, g.tenant_id FROM applications a \
                 JOIN galleries g ON g.id = a.gallery_id WHERE a.api_key = $1"
            );
            Ok(opt(&c, &sql, &[&api_key.expose()])
                .await?
                .map(|r| (read_id(&r, 6), application_from_row(&r))))
        })
    }

    pub fn create_application(
        &self,
        tenant_id: &TenantId,
        gallery_id: &GalleryId,
        name: &str,
        description: &str,
        face_minimum_quality_score: f64,
    ) -> Result<Application> {
        self.run(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            let exists = opt(
                &tx,
                "SELECT 1 FROM galleries WHERE tenant_id = $1 AND id = $2 FOR SHARE",
                &[&tenant_id.as_str(), &gallery_id.as_str()],
            )
            .await?
            .is_some();
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
            )
            .await?;
            tx.commit().await?;
            Ok(app)
        })
    }

    pub fn update_application(
        &self,
        tenant_id: &TenantId,
        application_id: &ApplicationId,
        name: Option<&str>,
        description: Option<&str>,
        face_minimum_quality_score: Option<f64>,
    ) -> Result<Application> {
        self.application(tenant_id, application_id)?;
        self.run(async {
            let c = self.client().await?;
            exec(
                &c,
                "UPDATE applications SET name = COALESCE($2, name), description = COALESCE($3, description), \
                 face_minimum_quality_score = COALESCE($4, face_minimum_quality_score) WHERE id = $1",
                &[&application_id.as_str(), &name, &description, &face_minimum_quality_score],
            )
            .await
        })?;
        self.application(tenant_id, application_id)
    }

    pub fn delete_application(
        &self,
        tenant_id: &TenantId,
        application_id: &ApplicationId,
    ) -> Result<()> {
        self.application(tenant_id, application_id)?;
        self.run(async {
            let c = self.client().await?;
            exec(
                &c,
                "DELETE FROM applications WHERE id = $1",
                &[&application_id.as_str()],
            )
            .await?;
            Ok(())
        })
    }
}
