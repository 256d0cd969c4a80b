//! Tags of a gallery: names with a never-reused id and a bit in the index's 64-bit tag mask.

use rusqlite::{Connection, OptionalExtension, params};

use super::*;

/// A tag resolved for an enrolment or a search.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResolvedTags {
    pub ids: Vec<i64>,
    pub mask: u64,
}

impl SqliteStore {
    pub fn list_tags(&self, gallery_id: &GalleryId) -> Result<Vec<TagName>> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT name FROM tags WHERE gallery_id = ?1 ORDER BY id")?;
        let rows = stmt.query_map([gallery_id.as_str()], |r| read_id(r, 0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn create_tag(&self, gallery_id: &GalleryId, name: &TagName) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        if tag_exists(&tx, gallery_id, name)? {
            return Err(tag_taken(name));
        }
        let bit = {
            let mut stmt = tx.prepare("SELECT bit FROM tags WHERE gallery_id = ?1")?;
            let bits = stmt.query_map([gallery_id.as_str()], |r| r.get::<_, i64>(0))?;
            free_bit(bits.collect::<rusqlite::Result<Vec<_>>>()?)?
        };
        tx.execute(
            "INSERT INTO tags (gallery_id, name, bit) VALUES (?1, ?2, ?3)",
            params![gallery_id.as_str(), name.as_str(), bit as i64],
        )?;
        tx.commit()?;
        Ok(())
    }

    pub fn rename_tag(
        &self,
        gallery_id: &GalleryId,
        old_name: &TagName,
        new_name: &TagName,
    ) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        if !tag_exists(&tx, gallery_id, old_name)? {
            return Err(StoreError::NotFound("Tag"));
        }
        if old_name != new_name {
            if tag_exists(&tx, gallery_id, new_name)? {
                return Err(tag_taken(new_name));
            }
            tx.execute(
                "UPDATE tags SET name = ?3 WHERE gallery_id = ?1 AND name = ?2",
                params![gallery_id.as_str(), old_name.as_str(), new_name.as_str()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Deletes a tag and its links to events (the events stay); returns its mask bit, which
    /// the caller clears from the index.
    pub fn delete_tag(&self, gallery_id: &GalleryId, name: &TagName) -> Result<Committed<'_, u32>> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let bit: i64 = tx
            .query_row(
                "SELECT bit FROM tags WHERE gallery_id = ?1 AND name = ?2",
                params![gallery_id.as_str(), name.as_str()],
                |r| r.get(0),
            )
            .optional()?
            .ok_or(StoreError::NotFound("Tag"))?;
        tx.execute(
            "DELETE FROM tags WHERE gallery_id = ?1 AND name = ?2",
            params![gallery_id.as_str(), name.as_str()],
        )?;
        let bit = u32::try_from(bit).map_err(|_| StoreError::Corrupt("tag bit".into()))?;
        tx.commit()?;
        Ok(committed(conn, bit))
    }

    /// Resolves tag names; every name must exist (NOTES.md item 9).
    pub fn resolve_tags(&self, gallery_id: &GalleryId, names: &[TagName]) -> Result<ResolvedTags> {
        let conn = self.conn();
        resolve_tags(&conn, gallery_id, names)
    }
}

pub(super) fn resolve_tags(
    conn: &Connection,
    gallery_id: &GalleryId,
    names: &[TagName],
) -> Result<ResolvedTags> {
    let mut out = ResolvedTags::default();
    let mut stmt =
        conn.prepare_cached("SELECT id, bit FROM tags WHERE gallery_id = ?1 AND name = ?2")?;
    for name in names {
        let (id, bit): (i64, i64) = stmt
            .query_row(params![gallery_id.as_str(), name.as_str()], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?
            .ok_or_else(|| unknown_tag(name))?;
        out.ids.push(id);
        if (0..64).contains(&bit) {
            out.mask |= 1u64 << bit;
        }
    }
    Ok(out)
}

fn tag_exists(conn: &Connection, gallery_id: &GalleryId, name: &TagName) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM tags WHERE gallery_id = ?1 AND name = ?2)",
        params![gallery_id.as_str(), name.as_str()],
        |r| r.get(0),
    )?)
}

// The rules and messages both back ends share.

/// The lowest mask bit that none of a gallery's tags (`used`) holds, or the 64-tag limit.
pub(super) fn free_bit(used: impl IntoIterator<Item = i64>) -> Result<usize> {
    let mut taken = [false; MAX_TAGS];
    for bit in used {
        if let Some(slot) = usize::try_from(bit).ok().and_then(|b| taken.get_mut(b)) {
            *slot = true;
        }
    }
    taken
        .iter()
        .position(|t| !t)
        .ok_or_else(|| StoreError::Invalid(format!("A gallery holds at most {MAX_TAGS} tags.")))
}

/// A tag created or renamed to a name the gallery already has.
pub(super) fn tag_taken(name: &TagName) -> StoreError {
    StoreError::Duplicate(format!(
        "Tag already exists: {}",
        quote_for_message(name.as_str())
    ))
}

/// A tag named by an enrolment or a search that the gallery does not have (NOTES.md item 9).
pub(super) fn unknown_tag(name: &TagName) -> StoreError {
    StoreError::Invalid(format!(
        "Tag does not exist (create it first): {}",
        quote_for_message(name.as_str())
    ))
}
