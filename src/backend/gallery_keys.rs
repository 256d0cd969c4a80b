//! The commands that join an API call to the OS keyring: building a profile's client from its
//! keys, and creating, deleting and opening a gallery, whose API key the console files in the
//! keyring (a pane's plain API calls go through [`super::Call`] instead).

use necid::{CreateGallery, CreatedGallery, GalleryId};

use super::{Worker, current_owner, keyring_error};
use crate::connection::{
    ActivityEntry, ActivityEvent, ActivitySender, Connection, RequestInFlight,
};
use crate::credentials;
use crate::error::UiError;
use crate::profiles::Profile;

/// A gallery ready for the gallery-scoped panes.
#[derive(Clone, Debug)]
pub struct OpenedGallery {
    pub gallery_id: GalleryId,
    pub name: String,
    pub size: u64,
    pub count: u64,
    pub gallery: necid::Gallery,
}

impl OpenedGallery {
    /// The same gallery over `client` (a profile's new keys or region on the same server): the
    /// handle keeps the gallery's API key and takes everything else from the new client.
    pub fn on_client(&self, client: &necid::Client) -> Self {
        Self {
            gallery: client.gallery(self.gallery.api_key().clone()),
            ..self.clone()
        }
    }
}

/// The keyring owner name of a gallery's API key.
fn gallery_owner(gallery_id: &GalleryId) -> String {
    format!("gallery/{gallery_id}")
}

pub(super) fn connect(
    profile: Profile,
    generation: u64,
    activity: ActivitySender,
    repaint: egui::Context,
    bucket_dir: Option<std::path::PathBuf>,
) -> Result<Connection, UiError> {
    let secrets = credentials::load_profile_secrets(&profile.profile_id)
        .map_err(keyring_error)?
        .ok_or_else(|| {
            UiError::new(format!(
                "No AccessKey and SecretKey are stored for “{}”: add them in Settings.",
                profile.name
            ))
        })?;
    let observed = profile.clone();
    let observer: necid::RequestEventObserver = std::sync::Arc::new(move |event| {
        let event = match event {
            necid::RequestEvent::Started(start) => ActivityEvent::Started(RequestInFlight {
                request_id: start.id,
                // Events come on the task making the request: the command running there owns it.
                owner: current_owner(),
                method: start.method,
                url: start.url,
                started: std::time::Instant::now(),
                attempt: 1,
                retrying_because: None,
            }),
            necid::RequestEvent::Retrying {
                id,
                attempt,
                wait,
                reason,
            } => ActivityEvent::Retrying {
                request_id: id,
                attempt,
                wait,
                reason,
            },
            necid::RequestEvent::Finished(record) => {
                ActivityEvent::Finished(ActivityEntry::from_record(&observed, record))
            }
            // A newer client may report more; the log needs none of it.
            _ => return,
        };
        // The shell may be gone while a request finishes; then nobody needs the event.
        let _ = activity.send(event);
        repaint.request_repaint();
    });
    // The embedded service's own limit; a cloud profile keeps the client's, the NEC gateway's.
    let max_request_bytes = match profile.kind {
        crate::profiles::ProfileKind::Local => necid_server::Limits::default().max_body_bytes,
        _ => necid::NEC_MAX_REQUEST_BYTES,
    };
    let client = necid::Client::builder()
        .max_request_bytes(max_request_bytes)
        .api_base_url(profile.api_base_url.clone())
        .portal_base_url(profile.portal_base_url.clone())
        .region(profile.region.clone())
        .credentials(necid::Credentials::new(
            secrets.access_key,
            secrets.secret_key,
        ))
        .connect_timeout(profile.connect_timeout())
        .request_timeout(profile.request_timeout())
        .event_observer(observer)
        .build()?;
    Ok(Connection {
        profile_id: profile.profile_id.clone(),
        profile,
        client,
        bucket_dir,
        generation,
    })
}

pub(super) async fn open_gallery(
    connection: Connection,
    gallery_id: GalleryId,
    worker: Worker,
) -> Result<OpenedGallery, UiError> {
    let detail = connection.client.galleries().get(&gallery_id).await?;
    // The key filed when this console created the gallery, else its first application's.
    let profile_id = connection.profile_id.clone();
    let owner = gallery_owner(&gallery_id);
    let filed = worker
        .blocking("reading the API key", move || {
            credentials::load_api_key(&profile_id, &owner).map_err(keyring_error)
        })
        .await?;
    let api_key = match (filed, detail.applications.first()) {
        (Some(key), _) => necid::ApiKey::new(key),
        (None, Some(application)) => application.api_key.clone(),
        (None, None) => {
            return Err(UiError::new(format!(
                "The gallery “{}” has no application, so there is no API key to use it with: \
                 create one in Applications.",
                detail.name
            )));
        }
    };
    Ok(OpenedGallery {
        gallery: connection.client.gallery(api_key),
        gallery_id,
        name: detail.name,
        size: detail.size,
        count: detail.count,
    })
}

/// Creates a gallery and files its API key in the keyring.
pub(super) async fn create_gallery(
    connection: Connection,
    gallery: CreateGallery,
    worker: Worker,
) -> Result<CreatedGallery, UiError> {
    let created = connection.client.galleries().create(&gallery).await?;
    let profile_id = connection.profile_id.clone();
    let owner = gallery_owner(&created.id);
    let api_key = created.api_key.clone();
    worker
        .blocking("storing the API key", move || {
            credentials::store_api_key(&profile_id, &owner, api_key.expose()).map_err(|error| {
                UiError::new(format!(
                    "The gallery was created, but its API key could not be kept: {error}"
                ))
            })
        })
        .await?;
    Ok(created)
}

/// Deletes a gallery and its API key in the keyring.
pub(super) async fn delete_gallery(
    connection: Connection,
    gallery_id: GalleryId,
    worker: Worker,
) -> Result<(), UiError> {
    connection.client.galleries().delete(&gallery_id).await?;
    let profile_id = connection.profile_id.clone();
    let owner = gallery_owner(&gallery_id);
    // The gallery is gone either way; a key left behind is harmless and is overwritten if the
    // id ever comes back.
    let removed = worker
        .blocking("removing the API key", move || {
            credentials::delete_api_key(&profile_id, &owner).map_err(keyring_error)
        })
        .await;
    if let Err(error) = removed {
        tracing::warn!(%error, "the deleted gallery's API key stayed in the keyring");
    }
    Ok(())
}
