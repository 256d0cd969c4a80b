//! How a replica on PostgreSQL keeps the exact index of every gallery it serves: it follows the
//! gallery's change feed (see [`crate::store::pg`]).
//!
//! Each gallery's index is paired with the number of the last change it holds (its cursor).
//! [`AppState::catch_up`] reads the changes after the cursor and applies them in order; it runs
//! - before every search ([`AppState::search_index`]), so a search sees every write that was
//!   acknowledged before it started, on any replica;
//! - after every write of this replica (the domain layer), so its own writes are in its index
//!   when it answers;
//! - when `LISTEN` reports a change from another replica ([`spawn`]), so searches rarely find
//!   anything left to read.
//!
//! One catch-up per gallery at a time (the cursor's lock); searches keep reading the index while
//! the changes are fetched and only wait for the few microseconds it takes to apply them.
//! With SQLite there is no feed: every call here does nothing, and writes mirror themselves.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Duration;

use futures_util::StreamExt as _;
use tokio_postgres::{AsyncMessage, NoTls};

use crate::error::ApiError;
use crate::index::GalleryIndex;
use crate::store::pg::{BULK_CHANNEL, CHANGES_CHANNEL, FeedChange};
use crate::store::{GalleryId, StoreError};
use crate::{AppState, write_lock};

/// The wait before a lost LISTEN connection is opened again.
const RECONNECT_AFTER: Duration = Duration::from_secs(1);

/// The cursor of each gallery this replica holds an index of: `None` until its index is loaded.
#[derive(Debug, Default)]
pub(crate) struct Cursors {
    galleries: Mutex<HashMap<GalleryId, Arc<Mutex<Option<i64>>>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Cursors {
    fn of(&self, gallery_id: &GalleryId) -> Arc<Mutex<Option<i64>>> {
        lock(&self.galleries)
            .entry(gallery_id.clone())
            .or_default()
            .clone()
    }

    fn forget(&self, gallery_id: &GalleryId) {
        lock(&self.galleries).remove(gallery_id);
    }

    fn known(&self) -> Vec<GalleryId> {
        lock(&self.galleries).keys().cloned().collect()
    }
}

impl AppState {
    /// Brings a gallery's index up to the feed's last change (loading it on first use, dropping
    /// it if the gallery is gone). Runs on a blocking thread; does nothing on SQLite.
    pub fn catch_up(&self, gallery_id: &GalleryId) -> Result<(), StoreError> {
        let Some(pg) = self.store().postgres() else {
            return Ok(());
        };
        let cursor = self.cursors().of(gallery_id);
        let mut applied = lock(&cursor);
        let Some(seq) = *applied else {
            match pg.load_index_at(gallery_id)? {
                Some((index, seq)) => {
                    *write_lock(&self.index(gallery_id)) = index;
                    *applied = Some(seq);
                }
                None => self.forget_gallery(gallery_id),
            }
            return Ok(());
        };
        match pg.changes_since(gallery_id, seq)? {
            None => self.forget_gallery(gallery_id),
            Some(changes) => {
                let Some(last) = changes.last().map(FeedChange::seq) else {
                    return Ok(());
                };
                let index = self.index(gallery_id);
                apply(&mut write_lock(&index), changes);
                *applied = Some(last);
            }
        }
        Ok(())
    }

    /// The index a search reads: caught up with the feed first (on PostgreSQL).
    pub fn search_index(
        &self,
        gallery_id: &GalleryId,
    ) -> Result<Arc<RwLock<GalleryIndex>>, ApiError> {
        self.catch_up(gallery_id)?;
        Ok(self.index(gallery_id))
    }

    /// After a write of this replica: its change is committed, so a failure to read it back is
    /// logged, not returned (the next search reads it).
    pub(crate) fn follow_own_write(&self, gallery_id: &GalleryId) {
        if let Err(e) = self.catch_up(gallery_id) {
            tracing::warn!(error = ?e, "could not read this replica's write back from the change feed");
        }
    }

    /// Loads the index of every gallery in the database (at start).
    pub(crate) fn load_every_index(&self) -> Result<(), StoreError> {
        for gallery_id in self.store().all_gallery_ids()? {
            self.catch_up(&gallery_id)?;
        }
        Ok(())
    }

    fn forget_gallery(&self, gallery_id: &GalleryId) {
        self.drop_index(gallery_id);
        self.cursors().forget(gallery_id);
    }
}

fn apply(index: &mut GalleryIndex, changes: Vec<FeedChange>) {
    for change in changes {
        match change {
            FeedChange::Upsert {
                meta,
                descriptor,
                tags,
                ..
            } => index.upsert(meta, &descriptor, tags),
            FeedChange::Remove { row_id, .. } => {
                index.remove(row_id);
            }
            FeedChange::ClearTag { bit, .. } => index.clear_tag_bit(bit),
        }
    }
}

/// The task that LISTENs for other replicas' changes and new bulk jobs. Dropping it stops it.
#[derive(Debug)]
pub struct FeedFollower {
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FeedFollower {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts following the feed of `state`'s database (`None` on SQLite, which has no feed).
pub fn spawn(state: AppState) -> Option<FeedFollower> {
    let config = state.store().postgres()?.config().clone();
    Some(FeedFollower {
        task: tokio::spawn(async move {
            loop {
                if let Err(e) = listen(&state, &config).await {
                    tracing::warn!(error = %e, "change feed: the LISTEN connection failed; reconnecting");
                }
                tokio::time::sleep(RECONNECT_AFTER).await;
            }
        }),
    })
}

/// One LISTEN connection, until it fails.
async fn listen(
    state: &AppState,
    config: &tokio_postgres::Config,
) -> Result<(), tokio_postgres::Error> {
    let (client, mut connection) = config.connect(NoTls).await?;
    let (sender, mut notifications) = tokio::sync::mpsc::unbounded_channel();
    let driver = tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(Ok(message)) = messages.next().await {
            if let AsyncMessage::Notification(n) = message
                && sender
                    .send((n.channel().to_owned(), n.payload().to_owned()))
                    .is_err()
            {
                break;
            }
        }
    });
    let _stop_driver = AbortOnDrop(driver);
    client
        .batch_execute(&format!("LISTEN {CHANGES_CHANNEL}; LISTEN {BULK_CHANNEL}"))
        .await?;
    // Whatever was notified while no connection listened is read now.
    catch_up_all(state).await;
    state.wake_bulk();
    while let Some((channel, payload)) = notifications.recv().await {
        if channel == BULK_CHANNEL {
            state.wake_bulk();
            continue;
        }
        let gallery_id = GalleryId::new(payload);
        let result = state
            .db(move |s| s.catch_up(&gallery_id).map_err(ApiError::from))
            .await;
        if let Err(e) = result {
            tracing::warn!(error = %e, "change feed: a catch-up failed; the next search retries it");
        }
    }
    Ok(())
}

async fn catch_up_all(state: &AppState) {
    let result = state
        .db(|s| {
            let mut galleries = s.cursors().known();
            galleries.extend(s.store().all_gallery_ids()?);
            galleries.sort();
            galleries.dedup();
            for gallery_id in galleries {
                s.catch_up(&gallery_id)?;
            }
            Ok(())
        })
        .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, "change feed: catching up failed; the next search retries it");
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
