//! Tags of a gallery on PostgreSQL: the same rules and messages as SQLite's `tags.rs`. A tag
//! change locks its gallery's row first, so the 64-tag limit and the choice of a free bit hold
//! when replicas change tags at once.

use deadpool_postgres::GenericClient;

use super::catalog::lock_gallery;
use super::{PgStore, exec, one, opt, read_id, rows};
use crate::store::tags::{free_bit, tag_taken, unknown_tag};
use crate::store::{Committed, GalleryId, ResolvedTags, Result, StoreError, TagName};

impl PgStore {
    pub fn list_tags(&self, gallery_id: &GalleryId) -> Result<Vec<TagName>> {
        self.run(async {
            let c = self.client().await?;
            Ok(rows(
                &c,
                "SELECT name FROM tags WHERE gallery_id = $1 ORDER BY id",
                &[&gallery_id.as_str()],
            )
            .await?
            .iter()
            .map(|r| read_id(r, 0))
            .collect())
        })
    }

    pub fn create_tag(&self, gallery_id: &GalleryId, name: &TagName) -> Result<()> {
        self.run(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            lock_gallery(&tx, gallery_id).await?;
            if tag_exists(&tx, gallery_id, name).await? {
                return Err(tag_taken(name));
            }
            let used = rows(
                &tx,
                "SELECT bit FROM tags WHERE gallery_id = $1",
                &[&gallery_id.as_str()],
            )
            .await?;
            let bit = free_bit(used.iter().map(|r| i64::from(r.get::<_, i32>(0))))?;
            let bit = i32::try_from(bit).unwrap_or(i32::MAX);
            exec(
                &tx,
                "INSERT INTO tags (gallery_id, name, bit) VALUES ($1, $2, $3)",
                &[&gallery_id.as_str(), &name.as_str(), &bit],
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    pub fn rename_tag(
        &self,
        gallery_id: &GalleryId,
        old_name: &TagName,
        new_name: &TagName,
    ) -> Result<()> {
        self.run(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            lock_gallery(&tx, gallery_id).await?;
            if !tag_exists(&tx, gallery_id, old_name).await? {
                return Err(StoreError::NotFound("Tag"));
            }
            if old_name != new_name {
                if tag_exists(&tx, gallery_id, new_name).await? {
                    return Err(tag_taken(new_name));
                }
                exec(
                    &tx,
                    "UPDATE tags SET name = $3 WHERE gallery_id = $1 AND name = $2",
                    &[&gallery_id.as_str(), &old_name.as_str(), &new_name.as_str()],
                )
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// Deletes a tag and its links; its bit leaves every row through the change feed.
    pub fn delete_tag(&self, gallery_id: &GalleryId, name: &TagName) -> Result<Committed<'_, u32>> {
        self.run(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            lock_gallery(&tx, gallery_id)
                .await
                .map_err(|_| StoreError::NotFound("Tag"))?;
            let bit: i32 = opt(
                &tx,
                "DELETE FROM tags WHERE gallery_id = $1 AND name = $2 RETURNING bit",
                &[&gallery_id.as_str(), &name.as_str()],
            )
            .await?
            .ok_or(StoreError::NotFound("Tag"))?
            .get(0);
            exec(
                &tx,
                "SELECT necid_feed_append($1, 'T', NULL, $2)",
                &[&gallery_id.as_str(), &bit],
            )
            .await?;
            tx.commit().await?;
            let bit = u32::try_from(bit).map_err(|_| StoreError::Corrupt("tag bit".into()))?;
            Ok(Committed::unlocked(bit))
        })
    }

    pub fn resolve_tags(&self, gallery_id: &GalleryId, names: &[TagName]) -> Result<ResolvedTags> {
        self.run(async {
            let c = self.client().await?;
            resolve_tags(&c, gallery_id, names).await
        })
    }
}

pub(super) async fn resolve_tags<C: GenericClient>(
    c: &C,
    gallery_id: &GalleryId,
    names: &[TagName],
) -> Result<ResolvedTags> {
    let mut out = ResolvedTags::default();
    for name in names {
        let row = opt(
            c,
            "SELECT id, bit FROM tags WHERE gallery_id = $1 AND name = $2",
            &[&gallery_id.as_str(), &name.as_str()],
        )
        .await?
        .ok_or_else(|| unknown_tag(name))?;
        let (id, bit): (i64, i32) = (row.get(0), row.get(1));
        out.ids.push(id);
        if (0..64).contains(&bit) {
            out.mask |= 1u64 << bit;
        }
    }
    Ok(out)
}

async fn tag_exists<C: GenericClient>(
    c: &C,
    gallery_id: &GalleryId,
    name: &TagName,
) -> Result<bool> {
    Ok(one(
        c,
        "SELECT EXISTS(SELECT 1 FROM tags WHERE gallery_id = $1 AND name = $2)",
        &[&gallery_id.as_str(), &name.as_str()],
    )
    .await?
    .get(0))
}
