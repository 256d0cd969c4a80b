//! The tenant: one row per access key id, which every gallery belongs to.

use rusqlite::{OptionalExtension, params};

use super::*;

impl SqliteStore {
    /// The tenant of an access key id, creating it if there is none yet.
    pub fn ensure_tenant(&self, access_key_id: &str) -> Result<TenantId> {
        let conn = self.conn();
        if let Some(id) = conn
            .query_row(
                "SELECT id FROM tenants WHERE access_key_id = ?1",
                [access_key_id],
                |r| read_id(r, 0),
            )
            .optional()?
        {
            return Ok(id);
        }
        let id: TenantId = fresh_id();
        conn.execute(
            "INSERT INTO tenants (id, access_key_id, created_at) VALUES (?1, ?2, ?3)",
            params![id.as_str(), access_key_id, now_timestamp()],
        )?;
        Ok(id)
    }

    /// Gives the only tenant a new access key id, keeping its galleries, and returns its id.
    ///
    /// For an embedding program whose keys were lost (the console keeps them in the OS keyring,
    /// which on Linux may not outlive a login session) while its data was not. `Ok(None)` when
    /// there is no tenant yet; an error when there are several, since which one was meant
    /// cannot be known.
    pub fn rekey_sole_tenant(&self, new_access_key_id: &str) -> Result<Option<TenantId>> {
        let conn = self.conn();
        let ids: Vec<TenantId> = conn
            .prepare("SELECT id FROM tenants LIMIT 2")?
            .query_map([], |r| read_id(r, 0))?
            .collect::<rusqlite::Result<_>>()?;
        match ids.as_slice() {
            [] => Ok(None),
            [id] => {
                conn.execute(
                    "UPDATE tenants SET access_key_id = ?1 WHERE id = ?2",
                    params![new_access_key_id, id.as_str()],
                )?;
                Ok(Some(id.clone()))
            }
            _ => Err(StoreError::Invalid(
                "the database holds several tenants, so none can be re-keyed".into(),
            )),
        }
    }

    pub fn tenant_by_access_key(&self, access_key_id: &str) -> Result<Option<TenantId>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT id FROM tenants WHERE access_key_id = ?1",
                [access_key_id],
                |r| read_id(r, 0),
            )
            .optional()?)
    }
}
