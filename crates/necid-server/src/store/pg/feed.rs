//! The two reads a follower of a gallery's change feed needs (`crate::feed`): the gallery's
//! index with the number of its last change, read from one snapshot, and the changes after a
//! number, in the order the database committed them.

use futures_util::TryStreamExt as _;

use super::{PgStore, opt, rows};
use crate::index::{DIM, GalleryIndex, RowMeta};
use crate::store::{GalleryId, Result, StoreError, blob_to_descriptor};

/// One change of a gallery's feed, as a follower applies it to the gallery's index.
#[derive(Debug, Clone)]
pub enum FeedChange {
    /// A row became active.
    Upsert {
        seq: i64,
        meta: RowMeta,
        descriptor: Box<[f32; DIM]>,
        tags: u64,
    },
    /// A row left the active set (or became active and left it again before this read).
    Remove { seq: i64, row_id: i64 },
    /// A deleted tag's bit leaves every row.
    ClearTag { seq: i64, bit: u32 },
}

impl FeedChange {
    pub fn seq(&self) -> i64 {
        match self {
            Self::Upsert { seq, .. } | Self::Remove { seq, .. } | Self::ClearTag { seq, .. } => {
                *seq
            }
        }
    }
}

impl PgStore {
    /// A gallery's index and the number of the last change it holds, read from one snapshot;
    /// `None` if the gallery is gone.
    pub fn load_index_at(&self, gallery_id: &GalleryId) -> Result<Option<(GalleryIndex, i64)>> {
        self.run(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            tx.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").await?;
            let Some(head) = opt(&tx, "SELECT feed_seq, active_events FROM galleries WHERE id = $1", &[&gallery_id.as_str()]).await?
            else {
                return Ok(None);
            };
            let (feed_seq, active): (i64, i64) = (head.get(0), head.get(1));
            let mut masks = std::collections::HashMap::<i64, u64>::new();
            for r in rows(
                &tx,
                "SELECT et.event_row, t.bit FROM event_tags et JOIN tags t ON t.id = et.tag_id \
                 JOIN events e ON e.row_id = et.event_row WHERE e.gallery_id = $1 AND e.status = 'ACTIVE'",
                &[&gallery_id.as_str()],
            )
            .await?
            {
                let (row, bit): (i64, i32) = (r.get(0), r.get(1));
                if (0..64).contains(&bit) {
                    *masks.entry(row).or_default() |= 1u64 << bit;
                }
            }
            // Room to grow by an eighth, as SQLite's loader leaves.
            let count = usize::try_from(active).unwrap_or(0);
            let mut index = GalleryIndex::with_capacity(count + count / 8 + 1024);
            let statement = tx
                .prepare_cached(
                    "SELECT row_id, subject_id, event_id, descriptor FROM events \
                     WHERE gallery_id = $1 AND status = 'ACTIVE' ORDER BY row_id",
                )
                .await?;
            // Streamed: a million rows are never all in memory as rows.
            let stream = tx.query_raw(&statement, [gallery_id.as_str()]).await?;
            futures_util::pin_mut!(stream);
            while let Some(r) = stream.try_next().await? {
                let row_id: i64 = r.get(0);
                let v = blob_to_descriptor(r.get::<_, &[u8]>(3))
                    .ok_or_else(|| StoreError::Corrupt(format!("descriptor of event row {row_id}")))?;
                index.upsert(
                    RowMeta {
                        row_id,
                        subject_id: r.get::<_, &str>(1).into(),
                        event_id: r.get::<_, &str>(2).into(),
                    },
                    &v,
                    masks.get(&row_id).copied().unwrap_or(0),
                );
            }
            tx.commit().await?;
            Ok(Some((index, feed_seq)))
        })
    }

    /// The gallery's changes after `after`, in order; `None` if the gallery is gone. One cheap
    /// query when nothing changed (the gallery's counter), so a search can afford it.
    pub fn changes_since(
        &self,
        gallery_id: &GalleryId,
        after: i64,
    ) -> Result<Option<Vec<FeedChange>>> {
        self.run(async {
            let c = self.client().await?;
            let Some(head) = opt(&c, "SELECT feed_seq FROM galleries WHERE id = $1", &[&gallery_id.as_str()]).await? else {
                return Ok(None);
            };
            if head.get::<_, i64>(0) <= after {
                return Ok(Some(Vec::new()));
            }
            // An upsert's row is read as it is now: if it is no longer active, a later change of
            // the feed removes it, so it is read as a removal; its tags never change after its
            // enrolment except for deleted tags, whose clearing comes later in the feed.
            let changes = rows(
                &c,
                "SELECT c.seq, c.kind, c.row_id, c.bit, e.subject_id, e.event_id, e.descriptor, \
                        (SELECT COALESCE(bit_or(1::bigint << t.bit), 0) FROM event_tags et \
                         JOIN tags t ON t.id = et.tag_id WHERE et.event_row = e.row_id) \
                 FROM changes c LEFT JOIN events e ON c.kind = 'U' AND e.row_id = c.row_id AND e.status = 'ACTIVE' \
                 WHERE c.gallery_id = $1 AND c.seq > $2 ORDER BY c.seq",
                &[&gallery_id.as_str(), &after],
            )
            .await?
            .iter()
            .map(feed_change)
            .collect::<Result<Vec<_>>>()?;
            Ok(Some(changes))
        })
    }
}

fn feed_change(r: &tokio_postgres::Row) -> Result<FeedChange> {
    let seq: i64 = r.get(0);
    let kind: String = r.get(1);
    let row_id: Option<i64> = r.get(2);
    let corrupt = || StoreError::Corrupt(format!("change {seq} of the feed"));
    match kind.as_str() {
        "U" => {
            let row_id = row_id.ok_or_else(corrupt)?;
            let Some(blob) = r.get::<_, Option<&[u8]>>(6) else {
                return Ok(FeedChange::Remove { seq, row_id });
            };
            let descriptor = blob_to_descriptor(blob).ok_or_else(corrupt)?;
            Ok(FeedChange::Upsert {
                seq,
                meta: RowMeta {
                    row_id,
                    subject_id: r.get::<_, &str>(4).into(),
                    event_id: r.get::<_, &str>(5).into(),
                },
                descriptor: Box::new(descriptor),
                tags: r.get::<_, Option<i64>>(7).unwrap_or(0) as u64,
            })
        }
        "R" => Ok(FeedChange::Remove {
            seq,
            row_id: row_id.ok_or_else(corrupt)?,
        }),
        "T" => {
            let bit: Option<i32> = r.get(3);
            let bit = bit
                .and_then(|b| u32::try_from(b).ok())
                .filter(|b| *b < 64)
                .ok_or_else(corrupt)?;
            Ok(FeedChange::ClearTag { seq, bit })
        }
        _ => Err(corrupt()),
    }
}
